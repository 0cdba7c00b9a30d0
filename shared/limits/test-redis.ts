import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/**
 * A Redis connection for one test suite with a random key prefix; `cleanup` deletes every key
 * under the prefix and disconnects.
 */
export async function openTestRedis(
  url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  prefix = `test:${randomBytes(6).toString("hex")}:`,
): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  await redis.ping();
  return {
    redis,
    prefix,
    async cleanup() {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
      redis.disconnect();
    },
  };
}
