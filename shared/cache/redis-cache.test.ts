import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import { AppError } from "../errors.js";
import { openTestRedis } from "../limits/test-redis.js";
import { cacheContract } from "./cache.contract.js";
import { createRedisCache } from "./redis-cache.js";

cacheContract("redis", async () => {
  // Two connections, as two gateways would hold.
  const [one, two] = [await openTestRedis(), await openTestRedis()];
  return {
    a: createRedisCache(one.redis, { prefix: one.prefix }),
    b: createRedisCache(two.redis, { prefix: one.prefix }),
    async dispose() {
      await one.cleanup();
      two.redis.disconnect();
    },
  };
});

test("without Redis, reads through wrap still answer and direct calls reject unavailable", async () => {
  const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  const cache = createRedisCache(redis, { prefix: "unreachable:" });
  assert.equal(await cache.wrap("k", 1000, async () => "from the source"), "from the source");
  for (const call of [cache.get("k"), cache.set("k", 1, 1000), cache.delete("k")]) {
    await assert.rejects(call, (err: unknown) => err instanceof AppError && err.code === "unavailable");
  }
  redis.disconnect();
});
