import { setTimeout as sleep, setImmediate as yieldToIo } from "node:timers/promises";

/** Wall-clock ms since the epoch with sub-ms resolution; comparable across processes of one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface OpenLoopOptions {
  ratePerS: number;
  durationMs: number;
  /** Epoch ms of arrival 0 (`epochNow` clock), so several processes share one schedule. */
  startAt: number;
  /** This process takes the arrivals `i` with `i % of === index`; default all of them. */
  share?: { index: number; of: number };
  /** Sends arrival `i`, due at `scheduledAt`; must not block (start the work, do not await it). */
  fire(arrival: number, scheduledAt: number): void;
}

/** Arrivals a schedule has in total. */
export function arrivalCount(ratePerS: number, durationMs: number): number {
  return Math.floor((ratePerS * durationMs) / 1000);
}

/**
 * Open-loop arrivals: arrival `i` is due at `startAt + i / rate`, whatever happened to earlier
 * ones, so a slow system meets the same offered load instead of a politely slowed-down client
 * (no coordinated omission). Latencies must be measured from `scheduledAt`: when this loop runs
 * late, that lateness is part of what the system under test caused. Resolves after the last fire.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<number> {
  const { ratePerS, durationMs, startAt, fire } = options;
  const { index, of } = options.share ?? { index: 0, of: 1 };
  const total = arrivalCount(ratePerS, durationMs);
  const intervalMs = 1000 / ratePerS;
  let fired = 0;
  for (let i = index; i < total; i += of) {
    const due = startAt + i * intervalMs;
    const wait = due - epochNow();
    if (wait > 0) await sleep(wait);
    // Running behind: still let replies in now and then, or the backlog would starve the reader.
    else if (fired % 64 === 63) await yieldToIo();
    fire(i, due);
    fired += 1;
  }
  return fired;
}
