import type { RateRule } from "./rate-limiter.js";

/**
 * The counting-semaphore port: at most `limit` leases held at once per `key` (docs/protocol.md
 * "Limits": concurrent agent runs per user). Adapters: `createRedisSemaphore` (shared by every
 * process of a deployment) and `createMemorySemaphore` (one process). One contract suite runs
 * against both.
 *
 * Contract:
 * - `acquire` is atomic: concurrent callers (in any process sharing the adapter) never hold more
 *   than `limit` unexpired leases of one key.
 * - A lease expires `ttlMs` after it was acquired or last renewed, so a holder that dies frees
 *   its slot without a release. Holders of long work call `renew` well within `ttlMs`.
 * - `release` and `renew` of an expired or unknown lease do nothing (`renew` answers false: the
 *   slot may have been taken by someone else meanwhile).
 * - `acquire` with `rate` is also an admission of the rate limit `rate.rule` on `rate.key`, as
 *   the RateLimiter of the same store counts them (the two see each other's admissions): the
 *   lease is granted only if both allow, in one atomic step (one round trip on Redis), and a
 *   refusal of either takes nothing. The concurrency limit is tested first.
 * - The Redis adapter reads Redis's clock; when Redis cannot be reached every method rejects
 *   with `AppError("unavailable")` (the gateway then takes leases in process: fallback-limits.ts).
 */
export interface Semaphore {
  acquire(key: string, limit: number, ttlMs: number, rate?: RateAdmission): Promise<Acquired>;
  release(key: string, leaseId: string): Promise<void>;
  renew(key: string, leaseId: string, ttlMs: number): Promise<boolean>;
}

export interface RateAdmission {
  key: string;
  rule: RateRule;
}

export type Acquired =
  | { acquired: true; leaseId: string }
  | { acquired: false /** Leases currently held (≥ limit). */; held: number }
  | { acquired: false; rateLimited: true; retryAfterMs: number };
