import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { rateAdmissionLua, rateKeyOf } from "./redis-rate-limiter.js";
import { redisClock, redisScript } from "./redis-script.js";
import type { Acquired, Semaphore } from "./semaphore.js";

/** Keeps the set alive as long as its longest lease. */
const keepAlive = `
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
`;

/**
 * A lease on KEYS[1] if fewer than ARGV[1] are held: leases are members of one sorted set per key,
 * scored by their expiry (Redis's clock, ms). `also` may refuse after that check, nothing taken.
 */
const leaseScript = (also: string) =>
  redisScript(`${redisClock}
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= limit then return {0, held} end
${also}
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
${keepAlive}
return {1, held + 1}
`);

const acquire = leaseScript("");

/** `acquire` and an admission of the rate limit on KEYS[2], as the RateLimiter takes one: both or neither. */
const acquireWithRate = leaseScript(
  rateAdmissionLua({
    key: "KEYS[2]",
    limit: "tonumber(ARGV[4])",
    window: "tonumber(ARGV[5])",
    member: "ARGV[6]",
    refused: 2,
  }),
);

const renew = redisScript(`${redisClock}
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
