import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Socket } from "node:net";
import { test } from "node:test";
import type { Redis } from "ioredis";
import { countSocketWrites } from "./net/socket-writes.js";
import { connectRedis } from "./redis-connection.js";

const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Sends 20 INCRs of `key` in one turn; the answers, sorted, and how many writes carried them. */
async function incrementInOneTurn(redis: Redis, key: string): Promise<{ counts: number[]; writes: number }> {
  const writes = countSocketWrites((redis as unknown as { stream: Socket }).stream);
  const counts = await Promise.all(Array.from({ length: 20 }, () => redis.incr(key)));
  return { counts: counts.toSorted((a, b) => a - b), writes: writes.count };
}

test("commands sent in one turn of the event loop reach Redis in one write, each with its own answer, after a reconnect too", async () => {
  const { redis } = connectRedis(url);
  const key = `redis-connection-test:${randomBytes(6).toString("hex")}`;
  try {
    // No offline queue: commands sent before the connection is up fail at once.
    await once(redis, "ready");
    const first = await incrementInOneTurn(redis, key);
    assert.deepEqual(
      first.counts,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.ok(first.writes <= 2, `${first.writes} writes for 20 commands`);

    redis.disconnect(true);
    await once(redis, "ready");
    const again = await incrementInOneTurn(redis, key);
    assert.deepEqual(
      again.counts,
      Array.from({ length: 20 }, (_, i) => i + 21),
    );
    assert.ok(again.writes <= 2, `${again.writes} writes for 20 commands on the new connection`);
  } finally {
    await redis.del(key).catch(() => undefined);
    redis.disconnect();
  }
});
