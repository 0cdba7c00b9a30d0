import { randomUUID } from "node:crypto";
import { createMemoryRunQueue } from "../../../shared/bus/run-queue/memory-run-queue.js";
import type { RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { loadConfig } from "../../../shared/config.js";
import { createLogger } from "../../../shared/logger.js";
import type { AgentChunk } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import { createOfflineProvider } from "../agent/offline-provider.js";
import type { ToolServices } from "../agent/tool.js";
import { createAgentPool } from "../agents/pool.js";
import { createWorker, type Worker } from "../worker.js";

export interface AgentHarness {
  runQueue: RunQueue;
  worker: Worker;
  /** Submits a run and collects its whole stream. */
  run(
    agent: AgentName,
    input: string,
    options?: { userId?: string; requestId?: string },
  ): Promise<AgentChunk[]>;
  close(): Promise<void>;
}

/**
 * The worker on an in-process run queue (a gateway's, when given) and the offline model, over
 * the given tool services.
 */
export function createAgentHarness(
  services: ToolServices,
  runQueue: RunQueue = createMemoryRunQueue(),
): AgentHarness {
  const config = loadConfig({}, { coalesceMs: 0, workerConcurrency: 4 });
  const worker = createWorker({
    config,
    runQueue,
    pool: createAgentPool(config),
    provider: createOfflineProvider({ dataset: services.epl, tokenDelayMs: 0 }),
    services,
    logger: createLogger({ logLevel: "silent" }),
  });
  worker.start();
  return {
    runQueue,
    worker,
    async run(agent, input, options = {}) {
      const requestId = options.requestId ?? randomUUID();
      await runQueue.submit({
        v: 1,
        requestId,
        clientId: randomUUID(),
        userId: options.userId ?? "agent-user",
        tier: "pro",
        agent,
        input,
        submittedAt: Date.now(),
      });
      const chunks: AgentChunk[] = [];
      for await (const chunk of runQueue.watch(requestId, 0)) chunks.push(chunk);
      return chunks;
    },
    async close() {
      await worker.stop();
      await runQueue.close();
    },
  };
}

export const textOf = (chunks: readonly AgentChunk[]): string =>
  chunks.flatMap((c) => (c.type === "agent.delta" ? [c.text] : [])).join("");

/** The `output` of every finished call of `tool`, in order. */
export function outputsOf<T = unknown>(chunks: readonly AgentChunk[], tool: string): T[] {
  return chunks.flatMap((c) =>
    c.type === "agent.tool" && c.name === tool && c.status === "finished" ? [c.output as T] : [],
  );
}

/** Tools called (started, without progress updates), in order. */
export function toolsCalled(chunks: readonly AgentChunk[]): string[] {
  return chunks.flatMap((c) =>
    c.type === "agent.tool" && c.status === "started" && c.output === undefined ? [c.name] : [],
  );
}

export function stopOf(chunks: readonly AgentChunk[]): string | undefined {
  const last = chunks.at(-1);
  return last?.type === "agent.done" ? last.stopReason : last?.type;
}
