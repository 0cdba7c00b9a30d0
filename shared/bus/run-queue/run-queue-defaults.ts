import type { Config } from "../../config.js";
import type { AgentErrorEvent } from "../../protocol/agent-frames.js";
import type { RunQueueOptions } from "./run-queue.js";

/** The config defaults (`agentAckWaitMs`, …) for adapters built without a config, e.g. in tests. */
export const defaultRunQueueOptions: Readonly<RunQueueOptions> = Object.freeze({
  dedupeWindowMs: 120_000,
  ackWaitMs: 10_000,
  maxDeliver: 3,
  queueMax: 100_000,
  outMaxAgeMs: 600_000,
});

/**
 * How often a run's `working()` reaches the server at most, however often the run calls it (more
 * often when `ackWaitMs` is short: a busy event loop must not let a live run's deadline pass).
 */
export function workingEveryMs(ackWaitMs: number): number {
  return Math.min(1000, Math.floor(ackWaitMs / 4));
}

/**
 * How long one output message is tried before the attempt gives up (nats-run-output.ts): long
 * enough for a leader election (seconds), and over before the run can be delivered to another
 * worker. The server does that `ackWaitMs` after the last `working()` it heard, which is at most
 * one renewal before a publish first fails; giving up a renewal before that deadline means two
 * attempts never write one run's output at once (their chunks would interleave, seq for seq).
 */
export function publishRetryWindowMs(ackWaitMs: number): number {
  return Math.min(15_000, ackWaitMs - 2 * workingEveryMs(ackWaitMs));
}

/** The run-queue options of a deployment; the dedupe window is the protocol's two minutes, not a setting. */
export function runQueueOptions(
  config: Pick<Config, "agentAckWaitMs" | "agentMaxDeliver" | "agentQueueMax" | "agentOutMaxAgeMs">,
): RunQueueOptions {
  return {
    dedupeWindowMs: defaultRunQueueOptions.dedupeWindowMs,
    ackWaitMs: config.agentAckWaitMs,
    maxDeliver: config.agentMaxDeliver,
    queueMax: config.agentQueueMax,
    outMaxAgeMs: config.agentOutMaxAgeMs,
  };
}

/** The terminal chunk an adapter publishes for a run that used up its deliveries. */
export function deliveriesExhausted(maxDeliver: number): AgentErrorEvent {
  return {
    type: "agent.error",
    code: "unavailable",
    message: `the run failed on ${maxDeliver} worker${maxDeliver === 1 ? "" : "s"}; try again`,
    retryable: true,
  };
}
