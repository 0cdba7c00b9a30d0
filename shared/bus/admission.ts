import { AppError } from "../errors.js";
import type { AgentRunRequest } from "./run-queue.js";

/**
 * Who may join the agent queue (PROTOCOL.md "Limits": under overload free runs are refused
 * first). Free runs may fill the queue up to `queueMax` less a tenth kept for pro runs; pro runs
 * may fill it to `queueMax`. Queues of fewer than ten runs keep no reserve.
 */
export function freeQueueMax(queueMax: number): number {
  return queueMax - Math.floor(queueMax / 10);
}

/** Throws `overloaded` when a run of `tier` may not join a queue holding `queued` runs. */
export function admit(tier: AgentRunRequest["tier"], queued: number, queueMax: number): void {
  const limit = tier === "pro" ? queueMax : freeQueueMax(queueMax);
  if (queued >= limit) {
    throw new AppError("overloaded", "agent queue is full; try again shortly", { retryAfterMs: 1000 });
  }
}
