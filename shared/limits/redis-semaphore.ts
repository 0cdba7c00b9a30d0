import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { rateKeyOf } from "./redis-rate-limiter.js";
import { redisScript } from "./redis-script.js";
import type { Acquired, Semaphore } from "./semaphore.js";

/** Leases are members of one sorted set per key, scored by their expiry (Redis's clock, ms). */
const clock = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Keeps the set alive as long as its longest lease. */
const keepAlive = `
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
`;

const acquire = redisScript(`${clock}
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= limit then return {0, held} end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
${keepAlive}
return {1, held + 1}
`);

/**
 * `acquire`, then an admission of the rate limit on KEYS[2] exactly as redis-rate-limiter.ts
 * takes one (the same sorted set, scored by time): both or neither.
 */
const acquireWithRate = redisScript(`${clock}
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local rateLimit = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= limit then return {0, held} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[2])
if count >= rateLimit then
  local oldest = redis.call('ZRANGE', KEYS[2], count - rateLimit, count - rateLimit, 'WITHSCORES')
  return {2, math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('PEXPIRE', KEYS[2], window)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
${keepAlive}
return {1, held + 1}
`);

const renew = redisScript(`${clock}
local ttl = tonumber(ARGV[1])
local expires = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not expires or tonumber(expires) <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[2])
${keepAlive}
return 1
`);

const release = redisScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`);

/** The Semaphore on Redis; `prefix` namespaces its keys (a deployment, a test suite). */
export function createRedisSemaphore(redis: Redis, options: { prefix: string }): Semaphore {
  const keyOf = (key: string) => `${options.prefix}sem:${key}`;
  return {
    async acquire(key, limit, ttlMs, rate): Promise<Acquired> {
      const leaseId = randomUUID();
      if (rate === undefined) {
        const [ok, held] = (await acquire(redis, [keyOf(key)], [limit, ttlMs, leaseId])) as [number, number];
        return ok === 1 ? { acquired: true, leaseId } : { acquired: false, held };
      }
      const [ok, value] = (await acquireWithRate(
        redis,
        [keyOf(key), rateKeyOf(options.prefix, rate.key)],
        [limit, ttlMs, leaseId, rate.rule.limit, rate.rule.windowMs, randomUUID()],
      )) as [number, number];
      if (ok === 1) return { acquired: true, leaseId };
      return ok === 0
        ? { acquired: false, held: value }
        : { acquired: false, rateLimited: true, retryAfterMs: value };
    },
    async release(key, leaseId) {
      await release(redis, [keyOf(key)], [leaseId]);
    },
    async renew(key, leaseId, ttlMs) {
      return (await renew(redis, [keyOf(key)], [ttlMs, leaseId])) === 1;
    },
  };
}
