import type { AgentRunRequest } from "./run-queue.js";

/** Runs of one agent and tier that wait for a worker (delivered to none yet). */
export interface LaneLength {
  agent: string;
  tier: AgentRunRequest["tier"];
  waiting: number;
}

/** The storage one stream of the deployment uses, and its bound when it has one. */
export interface StreamUsage {
  stream: string;
  bytes: number;
  maxBytes?: number;
}

/**
 * What the agent-run queue holds, as the operator's figures read it (`queue_length`,
 * `jetstream_stream_bytes`). Adapters: `createNatsRunStats` (the JetStream consumers' and streams'
 * own counts, read at most every few seconds) and the memory run queue's `stats` (its waiting
 * lists, exact). Every agent × tier lane is listed, waiting or not.
 */
export interface RunQueueStats {
  lanes(): Promise<LaneLength[]>;
  /** The deployment's streams (none in one process). */
  streams(): Promise<StreamUsage[]>;
}
