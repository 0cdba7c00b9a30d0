import { randomUUID } from "node:crypto";
import { createMemoryRateLimiter } from "./memory-rate-limiter.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Acquired, Semaphore } from "./semaphore.js";

/**
 * The Semaphore in one process (embedded mode, tests): lease expiries per key. Rate admissions of
 * `acquire` are taken from `limiter` (the process's RateLimiter, so both count the same).
 */
export function createMemorySemaphore(
  options: { now?: () => number; limiter?: RateLimiter } = {},
): Semaphore {
  const now = options.now ?? Date.now;
  const limiter = options.limiter ?? createMemoryRateLimiter({ now });
  const keys = new Map<string, Map<string, number>>();

  /** The key's unexpired leases (leaseId → expiry); the key is forgotten once none are left. */
  const live = (key: string, at: number): Map<string, number> => {
    const leases = keys.get(key) ?? new Map<string, number>();
    for (const [leaseId, expires] of leases) if (expires <= at) leases.delete(leaseId);
    if (leases.size === 0) keys.delete(key);
    return leases;
  };

  return {
    async acquire(key, limit, ttlMs, rate): Promise<Acquired> {
      const at = now();
      const leases = live(key, at);
      if (leases.size >= limit) return { acquired: false, held: leases.size };
      const leaseId = randomUUID();
      // Held while the rate is asked, so acquires meanwhile see it; given back if refused.
      leases.set(leaseId, at + ttlMs);
      keys.set(key, leases);
      if (rate !== undefined) {
        const decision = await limiter.take(rate.key, rate.rule);
        if (!decision.allowed) {
          leases.delete(leaseId);
          if (leases.size === 0) keys.delete(key);
          return { acquired: false, rateLimited: true, retryAfterMs: decision.retryAfterMs };
        }
      }
      return { acquired: true, leaseId };
    },
    async release(key, leaseId) {
      const leases = live(key, now());
      leases.delete(leaseId);
      if (leases.size === 0) keys.delete(key);
    },
    async renew(key, leaseId, ttlMs) {
      const at = now();
      const leases = live(key, at);
      if (!leases.has(leaseId)) return false;
      leases.set(leaseId, at + ttlMs);
      return true;
    },
  };
}
