import { createHmac, randomFillSync, timingSafeEqual } from "node:crypto";

/**
 * Agent run ids that carry their owner. A resume may reach any gateway, including one that never
 * saw the run, so ownership cannot live in one gateway's memory: the id is a random part plus an
 * HMAC of (random part, user id) under the secret every gateway shares, and any gateway verifies
 * it without state. 48 hex characters: valid as a NATS subject token.
 */
export interface RunIds {
  mint(userId: string): string;
  /** True only for an id minted for this user under this secret. */
  owns(requestId: string, userId: string): boolean;
}

const randomHex = 24;
const tagHex = 24;

/**
 * Random parts drawn from the kernel 256 at a time: a draw per run cost the gateway about as much
 * as the HMAC that signs it (node's own `randomUUID` pools the same way).
 */
function randomParts(): () => string {
  const bytes = randomHex / 2;
  const pool = Buffer.allocUnsafe(bytes * 256);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    at += bytes;
    return pool.toString("hex", at - bytes, at);
  };
}

export function createRunIds(secret: string): RunIds {
  const nextRandom = randomParts();
  const tag = (random: string, userId: string) =>
    createHmac("sha256", secret).update(`${random}:${userId}`).digest("hex").slice(0, tagHex);
  return {
    mint(userId) {
      const random = nextRandom();
      return random + tag(random, userId);
    },
    owns(requestId, userId) {
      if (requestId.length !== randomHex + tagHex || !/^[0-9a-f]+$/.test(requestId)) return false;
      const expected = Buffer.from(tag(requestId.slice(0, randomHex), userId));
      return timingSafeEqual(expected, Buffer.from(requestId.slice(randomHex)));
    },
  };
}
