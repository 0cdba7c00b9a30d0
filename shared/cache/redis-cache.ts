import type { Redis } from "ioredis";
import { redisScript, redisUnavailable } from "../limits/redis-script.js";
import { redisCommand } from "../telemetry/attributes.js";
import { SpanKind, traced, tracingOn } from "../telemetry/spans.js";
import type { Cache } from "./cache.js";

/**
 * Each key has a generation counter beside it, bumped by every delete. A load remembers the
 * generation it started under and stores its value only if that is still current, so a load that
 * raced an invalidation (here or on another gateway) cannot put stale data back.
 */
const storeIfCurrent = redisScript(`
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/**
 * Drops values and bumps their generations in one command, whatever the number of keys: KEYS are
 * value, generation, value, generation… (one command instead of three per key keeps a writer
 * that invalidates a dozen keys per change cheap for itself and for Redis).
 */
const dropAll = redisScript(`
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return 0
`);

/** Generations outlive any load by far; an expired one only makes an older load skip storing. */
const generationTtlMs = 10 * 60_000;

/**
 * The Cache on Redis; `prefix` namespaces its keys (a deployment, a test suite). Given `usable`
 * (redis-connection.ts), calls skip Redis while it says Redis is away: `get` misses, `set` and
 * `delete` do nothing, `wrap` answers `load()` — reads go to the exchange, and nothing waits on
 * or logs a Redis that is not there. The writer drops every entry once Redis is back
 * (`dropEveryEntry`), since deletes skipped meanwhile may have left entries stale.
 */
export function createRedisCache(redis: Redis, options: { prefix: string; usable?: () => boolean }): Cache {
  const away = () => options.usable !== undefined && !options.usable();
  const valueKey = (key: string) => `${options.prefix}cache:${key}`;
  const generationKey = (key: string) => `${options.prefix}cache-gen:${key}`;
  /** Loads in flight in this process per key; a delete from here forgets them. */
  const loads = new Map<string, Promise<unknown>>();

  const guard = async <T>(command: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await (tracingOn() ? redisSpan(command, work) : work());
    } catch (err) {
      throw redisUnavailable(err);
    }
  };

  const cache: Cache = {
    async get<T>(key: string) {
      if (away()) return undefined;
      const json = await guard("GET", () => redis.get(valueKey(key)));
      return json === null ? undefined : (JSON.parse(json) as T);
    },
    async set(key, value, ttlMs) {
      if (away()) return;
      await guard("SET", () => redis.set(valueKey(key), JSON.stringify(value), "PX", ttlMs));
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      const redisKeys: string[] = [];
      for (const key of keys) {
        loads.delete(key);
        redisKeys.push(valueKey(key), generationKey(key));
      }
      if (away()) return;
      await dropAll(redis, redisKeys, [generationTtlMs]);
    },
    async wrap<T>(key: string, ttlMs: number, load: () => Promise<T>) {
      if (away()) return load();
      let cached: [string | null, string | null];
      try {
        const read = () => redis.mget(valueKey(key), generationKey(key));
        cached = (await (tracingOn() ? redisSpan("MGET", read) : read())) as [string | null, string | null];
      } catch {
        return load();
      }
      if (cached[0] !== null) return JSON.parse(cached[0]) as T;
      const shared = loads.get(key);
      if (shared !== undefined) return JSON.parse(JSON.stringify(await shared)) as T;
      const promise = load();
      loads.set(key, promise);
      try {
        const value = await promise;
        if (loads.get(key) === promise) {
          await storeIfCurrent(
            redis,
            [valueKey(key), generationKey(key)],
            [cached[1] ?? "", JSON.stringify(value), ttlMs],
          ).catch(() => {});
        }
        return value;
      } finally {
        if (loads.get(key) === promise) loads.delete(key);
      }
    },
  };
  return cache;
}

/**
 * Drops every entry of the Redis cache under `prefix`, as `cache.delete` would (generations
 * bumped, so no load begun before can store what it read): for a writer coming back from a Redis
 * outage, during which the changes it made could not drop what they made stale. Resolves with
 * the number of entries dropped.
 */
export async function dropEveryEntry(
  redis: Redis,
  cache: Cache,
  options: { prefix: string },
): Promise<number> {
  const valuePrefix = `${options.prefix}cache:`;
  let cursor = "0";
  let dropped = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${valuePrefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) {
      await cache.delete(...keys.map((key) => key.slice(valuePrefix.length)));
      dropped += keys.length;
    }
  } while (cursor !== "0");
  return dropped;
}

/** A CLIENT span for one Redis command (docs/architecture.md "Tracing"). */
function redisSpan<T>(command: string, work: () => Promise<T>): Promise<T> {
  return traced(command, { kind: SpanKind.CLIENT, attributes: redisCommand(command) }, work);
}
