import { randomUUID } from "node:crypto";
import type { Acquired, Semaphore } from "./semaphore.js";

/** The Semaphore in one process (embedded mode, tests): lease expiries per key. */
export function createMemorySemaphore(options: { now?: () => number } = {}): Semaphore {
  const now = options.now ?? Date.now;
  const keys = new Map<string, Map<string, number>>();

  /** The key's unexpired leases (leaseId → expiry); the key is forgotten once none are left. */
  const live = (key: string, at: number): Map<string, number> => {
    const leases = keys.get(key) ?? new Map<string, number>();
    for (const [leaseId, expires] of leases) if (expires <= at) leases.delete(leaseId);
    if (leases.size === 0) keys.delete(key);
    return leases;
  };

  return {
    async acquire(key, limit, ttlMs): Promise<Acquired> {
      const at = now();
      const leases = live(key, at);
      if (leases.size >= limit) return { acquired: false, held: leases.size };
      const leaseId = randomUUID();
      leases.set(leaseId, at + ttlMs);
      keys.set(key, leases);
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
