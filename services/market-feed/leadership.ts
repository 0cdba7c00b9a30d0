import { setMaxListeners } from "node:events";
import type { LeaderLease } from "./leader-lease.js";

/** What runs while this process leads. */
export type LeadTask = (signal: AbortSignal) => Promise<void>;

export interface Leadership {
  readonly leading: boolean;
  /** Stops campaigning; if leading, aborts the task, waits for it, then releases the lease. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  lease: LeaderLease;
  /** Started when the lease is won; its signal aborts when the lease is lost or on `stop`. */
  lead: LeadTask;
  /** Told each time the lease is won (the task starts) or lost (the task is aborted, maybe still finishing). */
  onChange?: (leading: boolean) => void;
  onError?: (err: unknown) => void;
}

/**
 * Campaigns for `lease` every ttl/3: acquires it while another holds it, renews it while leading.
 * The task runs only while the lease is surely held: leadership ends when a renewal is refused,
 * and also, without waiting for an answer, 0.9·ttl after the last renewal that succeeded was sent
 * — before the lease could have expired for the others. A task that ends by itself keeps the
 * lease (nobody else should redo its work).
 */
export function followLease(options: LeadershipOptions): Leadership {
  const { lease, lead } = options;
  const onChange = options.onChange ?? (() => {});
  const onError = options.onError ?? (() => {});
  const intervalMs = lease.ttlMs / 3;
  let stopped = false;
  let leading = false;
  let controller: AbortController | undefined;
  let task: Promise<void> | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();

  function begin() {
    leading = true;
    controller = new AbortController();
    const { signal } = controller;
    // Every match of a round in play listens to this one signal (a round has up to ten fixtures).
    setMaxListeners(64, signal);
    // A task aborted by a lost lease may still be finishing: the next one starts after it.
    const previous = task;
    task = (async () => {
      await previous;
      if (!signal.aborted) await lead(signal);
    })().catch((err: unknown) => onError(err));
    onChange(true);
  }

  async function end() {
    if (!leading) return;
    leading = false;
    clearTimeout(expiryTimer);
    controller?.abort();
    // Told at once, not after the aborted task has wound down: the lease may be won back (and
    // told) meanwhile, and a late "lost" would then contradict it.
    onChange(false);
    await task;
  }

  async function tick() {
    const sentAt = Date.now();
    try {
      const held = leading ? await lease.renew() : await lease.acquire();
      if (stopped) {
        // Won just as `stop` began, which will not know to release it.
        if (held && !leading) await lease.release();
        return;
      }
      if (held) {
        clearTimeout(expiryTimer);
        expiryTimer = setTimeout(() => void end(), sentAt + lease.ttlMs * 0.9 - Date.now());
        if (!leading) begin();
      } else {
        await end();
      }
    } catch (err) {
      onError(err);
    }
  }

  function schedule() {
    ticking = tick().finally(() => {
      if (!stopped) tickTimer = setTimeout(schedule, intervalMs);
    });
  }
  schedule();

  return {
    get leading() {
      return leading;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(tickTimer);
      await ticking;
      const wasLeading = leading;
      await end();
      if (wasLeading) await lease.release().catch((err: unknown) => onError(err));
    },
  };
}
