/**
 * The rate-limit port: at most `limit` admissions per `key` in any sliding window of `windowMs`
 * (docs/protocol.md "Limits": trades per user per second, agent runs per user per minute). Adapters:
 * `createRedisRateLimiter` (one Redis shared by every gateway, so a limit holds across the
 * deployment) and `createMemoryRateLimiter` (one process). One contract suite runs against both.
 *
 * Contract:
 * - `take` is atomic: of any number of concurrent callers (in any process sharing the adapter),
 *   at most `limit` are allowed within any window of `windowMs`. A refused call admits nothing
 *   and does not count.
 * - A refusal carries `retryAfterMs` (> 0): the time until the oldest admission in the window
 *   leaves it, so a caller that waits that long is admitted unless others took the slot first.
 * - Keys are independent; a key's admissions are forgotten `windowMs` after the last one.
 * - The Redis adapter reads Redis's clock, so gateways with skewed clocks agree; when Redis
 *   cannot be reached `take` rejects with `AppError("unavailable")`. The gateway does not fail
 *   closed on that: it counts the same rules in process meanwhile (fallback-limits.ts).
 */
export interface RateLimiter {
  take(key: string, rule: RateRule): Promise<RateDecision>;
}

export interface RateRule {
  /** Admissions allowed per window, ≥ 1. */
  limit: number;
  windowMs: number;
}

export type RateDecision =
  | { allowed: true /** Admissions left in the current window. */; remaining: number }
  | { allowed: false; retryAfterMs: number };
