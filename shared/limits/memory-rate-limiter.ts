import type { RateDecision, RateLimiter } from "./rate-limiter.js";

/** Keys tracked before idle ones are swept, so the map stays bounded under many users. */
const sweepAboveKeys = 10_000;

/** The RateLimiter in one process (embedded mode, tests): a sliding-window log per key. */
export function createMemoryRateLimiter(options: { now?: () => number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  /** Admission times per key, oldest first, with the window they were taken under. */
  const logs = new Map<string, { windowMs: number; times: number[] }>();

  const sweep = (at: number) => {
    for (const [key, log] of logs) {
      if ((log.times.at(-1) ?? 0) <= at - log.windowMs) logs.delete(key);
    }
  };

  return {
    async take(key, rule): Promise<RateDecision> {
      const at = now();
      if (logs.size > sweepAboveKeys) sweep(at);
      const log = logs.get(key) ?? { windowMs: rule.windowMs, times: [] };
      log.windowMs = rule.windowMs;
      logs.set(key, log);
      const times = log.times;
      while (times.length > 0 && (times[0] ?? 0) <= at - rule.windowMs) times.shift();
      if (times.length < rule.limit) {
        times.push(at);
        return { allowed: true, remaining: rule.limit - times.length };
      }
      const oldest = times[times.length - rule.limit] ?? at;
      return { allowed: false, retryAfterMs: Math.max(1, oldest + rule.windowMs - at) };
    },
  };
}
