import assert from "node:assert/strict";
import { test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import { AppError } from "../errors.js";
import { openTestRedis } from "../limits/test-redis.js";
import { cacheContract } from "./cache.contract.js";
import type { Cache } from "./cache.js";
import { coalesceDeletes } from "./coalesced-deletes.js";
import { createMemoryCache } from "./memory-cache.js";
import { createRedisCache } from "./redis-cache.js";

cacheContract("redis, deletes coalesced", async () => {
  const [one, two] = [await openTestRedis(), await openTestRedis()];
  return {
    a: coalesceDeletes(createRedisCache(one.redis, { prefix: one.prefix })),
    b: coalesceDeletes(createRedisCache(two.redis, { prefix: one.prefix })),
    async dispose() {
      await one.cleanup();
      two.redis.disconnect();
    },
  };
});

/** A memory cache that records the keys of each delete it receives. */
function recording(): { cache: Cache; deletes: string[][]; fail: { next: boolean } } {
  const inner = createMemoryCache();
  const deletes: string[][] = [];
  const fail = { next: false };
  return {
    deletes,
    fail,
    cache: {
      ...inner,
      async delete(...keys) {
        deletes.push([...keys].sort());
        // A round trip, long beside until's polling: later deletes arrive while this one is on its way.
        await pause(100);
        if (fail.next) {
          fail.next = false;
          throw new AppError("unavailable", "cache down");
        }
        await inner.delete(...keys);
      },
    },
  };
}

test("deletes named together, or while one is on its way, reach the cache as one, each key once", async () => {
  const { cache, deletes } = recording();
  const coalesced = coalesceDeletes(cache);
  for (const key of ["a", "b", "c", "d"]) await cache.set(key, key, 60_000);
  const first = [coalesced.delete("a", "b"), coalesced.delete("b")];
  await until(() => deletes.length === 1, 2000, "the first group sent");
  const second = [coalesced.delete("c"), coalesced.delete("a", "c")];
  // The first group is still on its way: a key it dropped may be cached again and must go again.
  await Promise.all(first);
  assert.deepEqual(await cache.get("b"), undefined, "resolved once its keys are gone");
  assert.equal(await cache.get("c"), "c", "a later group is not gone before it is sent");
  await Promise.all(second);
  assert.deepEqual(deletes, [
    ["a", "b"],
    ["a", "c"],
  ]);
  assert.deepEqual(await Promise.all(["a", "b", "c", "d"].map((k) => cache.get(k))), [
    undefined,
    undefined,
    undefined,
    "d",
  ]);
});

test("a failed group rejects each of its deletes, and the next group is still sent", async () => {
  const { cache, deletes, fail } = recording();
  const coalesced = coalesceDeletes(cache);
  fail.next = true;
  const failed = [coalesced.delete("x"), coalesced.delete("y")];
  for (const call of failed) {
    await assert.rejects(call, (err: unknown) => err instanceof AppError && err.code === "unavailable");
  }
  await coalesced.delete("z");
  assert.deepEqual(deletes, [["x", "y"], ["z"]]);
});
