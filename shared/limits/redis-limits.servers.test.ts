import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import { AppError } from "../errors.js";
import { limitsContract } from "./limits.contract.js";
import { createRedisRateLimiter } from "./redis-rate-limiter.js";
import { createRedisSemaphore } from "./redis-semaphore.js";
import { openTestRedis } from "./test-redis.js";

limitsContract("redis", async () => {
  // Two connections, as two gateways would hold.
  const [one, two] = [await openTestRedis(), await openTestRedis()];
  const prefix = one.prefix;
  const view = (redis: Redis) => ({
    rate: createRedisRateLimiter(redis, { prefix }),
    semaphore: createRedisSemaphore(redis, { prefix }),
  });
  return {
    a: view(one.redis),
    b: view(two.redis),
    async dispose() {
      await one.cleanup();
      two.redis.disconnect();
    },
  };
});

test("limits fail closed with unavailable when Redis cannot be reached", async () => {
  const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  const limiter = createRedisRateLimiter(redis, { prefix: "unreachable:" });
  await assert.rejects(limiter.take("u", { limit: 1, windowMs: 1000 }), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, "unavailable");
    return true;
  });
  redis.disconnect();
});
