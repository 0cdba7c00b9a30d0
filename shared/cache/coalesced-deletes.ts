import type { Cache } from "./cache.js";

/**
 * `cache` with its deletes grouped: keys named while a delete is on its way join the next one,
 * sent as soon as that one is done, with every key once. Each `delete` still resolves (or
 * rejects, with the group) only once its keys are gone, so the Cache contract holds; a writer
 * that invalidates a dozen keys per change and hundreds of changes a second then pays one call
 * per round trip instead of one per change. What waits is bounded by the distinct keys named
 * during one round trip.
 */
export function coalesceDeletes(cache: Cache): Cache {
  let next: { keys: Set<string>; done: Promise<void>; settle: (err?: unknown) => void } | undefined;
  let sending = false;

  function send(): void {
    const group = next;
    if (group === undefined) {
      sending = false;
      return;
    }
    next = undefined;
    sending = true;
    cache.delete(...group.keys).then(
      () => {
        group.settle();
        send();
      },
      (err: unknown) => {
        group.settle(err);
        send();
      },
    );
  }

  return {
    get: (key) => cache.get(key),
    set: (key, value, ttlMs) => cache.set(key, value, ttlMs),
    wrap: (key, ttlMs, load) => cache.wrap(key, ttlMs, load),
    delete(...keys) {
      if (keys.length === 0) return Promise.resolve();
      if (next === undefined) {
        let settle!: (err?: unknown) => void;
        const done = new Promise<void>((resolve, reject) => {
          settle = (err) => (err === undefined ? resolve() : reject(err));
        });
        next = { keys: new Set(), done, settle };
        // Deletes named in this same turn (one trade's events) still make a single group.
        if (!sending) {
          sending = true;
          queueMicrotask(send);
        }
      }
      for (const key of keys) next.keys.add(key);
      return next.done;
    },
  };
}
