import { AppError } from "../errors.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Semaphore } from "./semaphore.js";

/**
 * Limits that outlive their shared store (docs/architecture.md, "Failure and overload, by
 * design"): while `usable()` says the shared store (Redis) can be reached, every decision is
 * the shared adapter's, counted across the deployment; while it cannot — or when a call to it
 * fails `unavailable` — the same rules are counted by `local`, in this process only. So a Redis
 * outage never stops trades or agent runs (they are still decided by the exchange and the
 * queue); for its length each gateway applies the limits on its own, so a user spread over N
 * gateways may get up to N times a limit. Other failures are thrown as they are.
 */
export function createFallbackRateLimiter(
  shared: RateLimiter,
  local: RateLimiter,
  usable: () => boolean,
): RateLimiter {
  return {
    async take(key, rule) {
      if (usable()) {
        try {
          return await shared.take(key, rule);
        } catch (err) {
          if (!isUnavailable(err)) throw err;
        }
      }
      return local.take(key, rule);
    },
  };
}

/** Marks the leases `local` granted, so their release and renewal go back to it. */
const localLease = "local:";

/**
 * The Semaphore counterpart of `createFallbackRateLimiter`: leases are taken from `shared` while
 * it is usable, else from `local` (a rate admission with them, from `local`'s limiter). A lease
 * is released and renewed where it was granted, whatever the shared store's state by then; a
 * shared lease that cannot be renewed while Redis is away lapses with its TTL, as the contract
 * says.
 */
export function createFallbackSemaphore(
  shared: Semaphore,
  local: Semaphore,
  usable: () => boolean,
): Semaphore {
  const isLocal = (leaseId: string) => leaseId.startsWith(localLease);
  return {
    async acquire(key, limit, ttlMs, rate) {
      if (usable()) {
        try {
          return await shared.acquire(key, limit, ttlMs, rate);
        } catch (err) {
          if (!isUnavailable(err)) throw err;
        }
      }
      const acquired = await local.acquire(key, limit, ttlMs, rate);
      return acquired.acquired ? { acquired: true, leaseId: `${localLease}${acquired.leaseId}` } : acquired;
    },
    release: (key, leaseId) =>
      isLocal(leaseId) ? local.release(key, leaseId.slice(localLease.length)) : shared.release(key, leaseId),
    renew: (key, leaseId, ttlMs) =>
      isLocal(leaseId)
        ? local.renew(key, leaseId.slice(localLease.length), ttlMs)
        : shared.renew(key, leaseId, ttlMs),
  };
}

function isUnavailable(err: unknown): boolean {
  return err instanceof AppError && err.code === "unavailable";
}
