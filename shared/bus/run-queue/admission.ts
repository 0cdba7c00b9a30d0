import { AppError } from "../../errors.js";
import type { AgentRunRequest } from "./run-queue.js";

type Tier = AgentRunRequest["tier"];
/** A count of runs per tier. */
export type TierCounts = Readonly<Record<Tier, number>>;

/**
 * Who may join the agent queue (docs/protocol.md "Limits": under overload free runs are refused
 * first). Pro runs have `queueMax` places of their own, which free runs never take. Free runs are
 * refused once the runs of both tiers fill `queueMax` less a tenth, so they go before pro runs do;
 * queues of fewer than ten runs keep no tenth back.
 */
export function freeQueueMax(queueMax: number): number {
  return queueMax - Math.floor(queueMax / 10);
}

/**
 * Throws `overloaded` when a run of `tier` may not join a queue holding `unsettled` runs (waiting
 * or held by a worker, as a work-queue stream counts them).
 */
export function admit(tier: Tier, unsettled: TierCounts, queueMax: number): void {
  const full =
    tier === "pro" ? unsettled.pro >= queueMax : unsettled.pro + unsettled.free >= freeQueueMax(queueMax);
  if (full) {
    throw new AppError("overloaded", "agent queue is full; try again shortly", { retryAfterMs: 1000 });
  }
}

/** Runs a new run of `tier` waits behind: workers take pro runs first, so pro runs wait only for pro runs. */
export function queuedAhead(tier: Tier, waiting: TierCounts): number {
  return tier === "pro" ? waiting.pro : waiting.pro + waiting.free;
}
