/**
 * A counting semaphore whose waiters are served pro first, then free, each in arrival order: when
 * a worker has fewer free slots than lanes wanting one, pro lanes get them.
 */
export interface PrioritySlots {
  readonly free: number;
  acquire(tier: "pro" | "free"): Promise<void>;
  /** Takes up to `max` slots that are free now, without waiting; returns how many it took. */
  take(max: number): number;
  release(): void;
}

export function createPrioritySlots(count: number): PrioritySlots {
  let free = count;
  const waiters = { pro: [] as (() => void)[], free: [] as (() => void)[] };
  return {
    get free() {
      return free;
    },
    acquire(tier) {
      if (free > 0) {
        free -= 1;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters[tier].push(resolve));
    },
    take(max) {
      const taken = Math.max(0, Math.min(free, max));
      free -= taken;
      return taken;
    },
    release() {
      const next = waiters.pro.shift() ?? waiters.free.shift();
      if (next !== undefined) next();
      else free += 1;
    },
  };
}
