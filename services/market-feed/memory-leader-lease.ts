import type { LeaderLease } from "./leader-lease.js";

/** Holders that share one in-process lease (embedded mode, tests). */
export interface MemoryLeaseTable {
  lease(): LeaderLease;
}

/** The LeaderLease port in one process: one lease whose holders are the `lease()` objects. */
export function createMemoryLeaseTable(ttlMs: number): MemoryLeaseTable {
  let holder: object | undefined;
  let expiresAt = 0;
  const held = (who: object) => holder === who && Date.now() < expiresAt;

  return {
    lease() {
      const self = {};
      return {
        ttlMs,
        async acquire() {
          if (holder !== undefined && holder !== self && Date.now() < expiresAt) return false;
          holder = self;
          expiresAt = Date.now() + ttlMs;
          return true;
        },
        async renew() {
          if (!held(self)) return false;
          expiresAt = Date.now() + ttlMs;
          return true;
        },
        async release() {
          if (holder === self) holder = undefined;
        },
      };
    },
  };
}
