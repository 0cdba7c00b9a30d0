import type { Cache } from "./cache.js";

/**
 * The Cache in one process (embedded mode, tests), holding at most `maxEntries` (expired entries,
 * then the oldest, make room).
 */
export function createMemoryCache(options: { maxEntries?: number; now?: () => number } = {}): Cache {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { json: string; expiresAt: number }>();
  /** Loads in flight per key; a delete marks them stale and forgets them. */
  const loads = new Map<string, { promise: Promise<unknown>; stale: boolean }>();

  const makeRoom = () => {
    if (entries.size < maxEntries) return;
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  };

  const cache: Cache = {
    async get<T>(key: string) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return JSON.parse(entry.json) as T;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      makeRoom();
      entries.set(key, { json: JSON.stringify(value), expiresAt: now() + ttlMs });
    },
    async delete(...keys) {
      for (const key of keys) {
        entries.delete(key);
        const load = loads.get(key);
        if (load !== undefined) load.stale = true;
        loads.delete(key);
      }
    },
    async wrap<T>(key: string, ttlMs: number, load: () => Promise<T>) {
      const hit = await cache.get<T>(key);
      if (hit !== undefined) return hit;
      const shared = loads.get(key);
      if (shared !== undefined) return JSON.parse(JSON.stringify(await shared.promise)) as T;
      const self = { promise: load() as Promise<unknown>, stale: false };
      loads.set(key, self);
      try {
        const value = (await self.promise) as T;
        if (!self.stale) await cache.set(key, value, ttlMs);
        return value;
      } finally {
        if (loads.get(key) === self) loads.delete(key);
      }
    },
  };
  return cache;
}
