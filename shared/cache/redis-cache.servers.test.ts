import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import { AppError } from "../errors.js";
import { openTestRedis } from "../limits/test-redis.js";
import { cacheContract } from "./cache.contract.js";
import { createRedisCache, dropEveryEntry } from "./redis-cache.js";

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

test("told Redis is away, the cache skips it: misses, no writes, reads from the source, nothing thrown", async () => {
  const { redis, prefix, cleanup } = await openTestRedis();
  let away = false;
  const cache = createRedisCache(redis, { prefix, usable: () => !away });
  await cache.set("price", 1, 60_000);
  away = true;
  assert.equal(await cache.get("price"), undefined);
  await cache.set("price", 2, 60_000);
  await cache.delete("price");
  assert.equal(await cache.wrap("price", 60_000, async () => 3), 3);
  assert.equal(await redis.get(`${prefix}cache:price`), "1", "Redis itself untouched while away");
  away = false;
  assert.equal(await cache.get("price"), 1);
  await cleanup();
});

test("after an outage the writer drops every entry of its prefix, and only those", async () => {
  const { redis, prefix, cleanup } = await openTestRedis();
  const neighbour = await openTestRedis();
  const cache = createRedisCache(redis, { prefix });
  const theirs = createRedisCache(neighbour.redis, { prefix: neighbour.prefix });
  for (const key of ["a", "b", "c"]) await cache.set(key, key, 60_000);
  await theirs.set("a", "kept", 60_000);
  assert.equal(await dropEveryEntry(redis, cache, { prefix }), 3);
  for (const key of ["a", "b", "c"]) assert.equal(await cache.get(key), undefined);
  assert.equal(await theirs.get("a"), "kept");
  await cleanup();
  await neighbour.cleanup();
});
