import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RateDecision, RateLimiter } from "./rate-limiter.js";
import { redisScript } from "./redis-script.js";

/**
 * Sliding-window log: one sorted set per key whose members are admissions scored by their time
 * (Redis's clock, ms). Expired admissions are trimmed, then one is added if fewer than `limit`
 * remain; the refusal's wait is when the oldest that must leave does.
 */
const take = redisScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + window - now)}
`);

/** The sorted set of a rate key's admissions (the Semaphore's rate admissions use it too). */
export function rateKeyOf(prefix: string, key: string): string {
  return `${prefix}rate:${key}`;
}

/** The RateLimiter on Redis; `prefix` namespaces its keys (a deployment, a test suite). */
export function createRedisRateLimiter(redis: Redis, options: { prefix: string }): RateLimiter {
  return {
    async take(key, rule): Promise<RateDecision> {
      const [allowed, value] = (await take(
        redis,
        [rateKeyOf(options.prefix, key)],
        [rule.limit, rule.windowMs, randomUUID()],
      )) as [number, number];
      return allowed === 1 ? { allowed: true, remaining: value } : { allowed: false, retryAfterMs: value };
    },
  };
}
