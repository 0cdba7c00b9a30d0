import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RateDecision, RateLimiter } from "./rate-limiter.js";
import { redisClock, redisScript } from "./redis-script.js";

/**
 * Lua that takes one admission of a sliding-window log, or returns `{refused, wait}`: the sorted
 * set `key` holds admissions scored by their time (Redis's clock, ms, in `now`). Expired ones are
 * trimmed, then one is added if fewer than `limit` remain (leaving `count`, those before it); the
 * wait is until the oldest that must leave does. The Semaphore's rate admissions use it too.
 */
export function rateAdmissionLua(lua: {
  key: string;
  limit: string;
  window: string;
  member: string;
  refused: number;
}): string {
  return `
local rateLimit = ${lua.limit}
local window = ${lua.window}
redis.call('ZREMRANGEBYSCORE', ${lua.key}, '-inf', now - window)
local count = redis.call('ZCARD', ${lua.key})
if count >= rateLimit then
  local oldest = redis.call('ZRANGE', ${lua.key}, count - rateLimit, count - rateLimit, 'WITHSCORES')
  return {${lua.refused}, math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', ${lua.key}, now, ${lua.member})
redis.call('PEXPIRE', ${lua.key}, window)
`;
}

const take = redisScript(`${redisClock}
${rateAdmissionLua({ key: "KEYS[1]", limit: "tonumber(ARGV[1])", window: "tonumber(ARGV[2])", member: "ARGV[3]", refused: 0 })}
return {1, rateLimit - count - 1}
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
