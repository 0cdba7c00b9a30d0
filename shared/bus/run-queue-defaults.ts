import type { Config } from "../config.js";
import type { AgentErrorEvent } from "../protocol/agent-frames.js";
import type { RunQueueOptions } from "./run-queue.js";

/** The config defaults (`agentAckWaitMs`, …) for adapters built without a config, e.g. in tests. */
export const defaultRunQueueOptions: Readonly<RunQueueOptions> = Object.freeze({
  dedupeWindowMs: 120_000,
  ackWaitMs: 10_000,
  maxDeliver: 3,
  queueMax: 100_000,
  outMaxAgeMs: 600_000,
});

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
