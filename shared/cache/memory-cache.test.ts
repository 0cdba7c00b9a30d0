import assert from "node:assert/strict";
import { test } from "node:test";
import { cacheContract } from "./cache.contract.js";
import { createMemoryCache } from "./memory-cache.js";

cacheContract("memory", async () => {
  const cache = createMemoryCache();
  return { a: cache, b: cache, dispose: async () => {} };
});

test("the memory cache holds at most maxEntries, dropping the oldest", async () => {
  const cache = createMemoryCache({ maxEntries: 3 });
  for (const key of ["a", "b", "c", "d"]) await cache.set(key, key, 60_000);
  assert.deepEqual(await Promise.all(["a", "b", "c", "d"].map((key) => cache.get(key))), [
    undefined,
    "b",
    "c",
    "d",
  ]);
});
