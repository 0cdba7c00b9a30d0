/**
 * The read-through cache port for read paths (market lists, prices, balances). Adapters:
 * `createRedisCache` (shared by every gateway of a deployment) and `createMemoryCache` (one
 * process). One contract suite runs against both.
 *
 * Contract:
 * - Values are JSON: what `get` returns is a copy of what was stored, never the same object.
 * - An entry is gone `ttlMs` after it was set, or as soon as `delete` names it.
 * - `wrap(key, ttlMs, load)` answers the cached value, else `load()`'s, and caches the latter
 *   unless `delete` named the key while `load` ran (the load may have read data older than the
 *   change that caused the delete). Concurrent `wrap`s of one key in one process share a load.
 * - A cache is never the authority: decisions (trades, limits) never read it. When the backing
 *   store is unreachable, `get`/`set`/`delete` reject with `AppError("unavailable")` and `wrap`
 *   answers `load()` directly, so reads keep working without the cache. (Told in advance that
 *   the store is away, the Redis adapter skips it instead: see `createRedisCache`.)
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  wrap<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T>;
}
