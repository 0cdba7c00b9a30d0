import { setTimeout as delay } from "node:timers/promises";

/** Waits `ms` (at once when ≤ 0); false when `signal` aborted the wait or had already. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(Math.max(0, ms), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
