import type { RunConsumer, RunJob, RunQueue } from "../../shared/bus/run-queue/run-queue.js";
import type { Config } from "../../shared/config.js";
import type { Logger } from "../../shared/logger.js";
import type { AgentEvent } from "../../shared/protocol/agent-frames.js";
import { traced, tracingOn } from "../../shared/telemetry/spans.js";
import type { ModelProvider } from "./agent/model.js";
import type { ToolServices } from "./agent/tool.js";
import type { AgentPool } from "./agents/pool.js";
import { createFrameWriter } from "./frame-writer.js";

export interface WorkerDeps {
  config: Pick<
    Config,
    | "workerConcurrency"
    | "coalesceMs"
    | "modelMaxSteps"
    | "agentAckWaitMs"
    | "agentMaxDeliver"
    | "agentConfirmTimeoutMs"
  >;
  runQueue: RunQueue;
  pool: AgentPool;
  provider: ModelProvider;
  services: ToolServices;
  logger: Logger;
  /** Told the protocol code of each run that ends with `agent.error` (the service's `errors_total`). */
  onRunError?: (code: string) => void;
  /** Delay before a run that failed transiently, before any output, is delivered again. */
  retryDelayMs?: number;
}

export interface Worker {
  /** Starts taking runs from the queue. */
  start(): void;
  /**
   * Takes no new runs and resolves once the running ones have finished (graceful drain). With
   * `handOverAfterMs`, runs still going that long after are handed over instead: each stops, its
   * output so far stays stored, and it goes back to the queue at once, so another worker continues
   * it (the client sees `agent.restart`) instead of waiting for a kill and the ack deadline.
   */
  stop(options?: { handOverAfterMs?: number }): Promise<void>;
  /** Runs in progress. */
  readonly active: number;
  /** Runs in progress by agent (agents with none absent): the slots each holds. */
  readonly busy: ReadonlyMap<string, number>;
}

/**
 * The agent worker: runs agent requests from the queue on the process's shared agent pool, at
 * most `workerConcurrency` at once. Each run's output is streamed back in order (text coalesced
 * over `coalesceMs`) and ends with exactly one terminal frame, then the run is acked. A run that
 * fails transiently before any output is handed back to the queue (another worker may succeed); a
 * run that fails after output, or can never succeed, ends with `agent.error` and is dropped.
 */
export function createWorker(deps: WorkerDeps): Worker {
  const { config, runQueue, pool, provider, services, logger } = deps;
  const retryDelayMs = deps.retryDelayMs ?? 1000;
  // Several heartbeats per ack window, so one delayed timer never costs a redelivery.
  const workingEveryMs = Math.max(100, Math.floor(config.agentAckWaitMs / 4));
  let consumer: RunConsumer | undefined;
  const busy = new Map<string, number>();

  /** `handle`, with the slot it holds counted for its agent until it returns. */
  async function counted(job: RunJob): Promise<void> {
    const agent = job.request.agent;
    busy.set(agent, (busy.get(agent) ?? 0) + 1);
    try {
      await handle(job);
    } finally {
      const left = (busy.get(agent) ?? 1) - 1;
      if (left === 0) busy.delete(agent);
      else busy.set(agent, left);
    }
  }
  /** Hands a running run over to another worker (see `stop`). */
  const handOvers = new Set<() => void>();
  let handingOver = false;

  /** The run as one span, child of its delivery's consumer span (docs/architecture.md "Tracing"). */
  function handle(job: RunJob): Promise<void> {
    if (!tracingOn()) return runAgent(job);
    const { request } = job;
    const attributes = {
      "agent.name": request.agent,
      "agent.request_id": request.requestId,
      "agent.attempt": job.attempt,
    };
    return traced("agent.run", { attributes }, () => runAgent(job));
  }

  async function runAgent(job: RunJob): Promise<void> {
    const { request } = job;
    const log = logger.child({
      requestId: request.requestId,
      userId: request.userId,
      agentName: request.agent,
      attempt: job.attempt,
    });
    const started = performance.now();
    const finished = (success: boolean, outcome: string, extra: Record<string, unknown> = {}) => {
      const entry = {
        action: "agent.run",
        duration: Math.round(performance.now() - started),
        success,
        outcome,
        ...extra,
      };
      if (success) log.info(entry, "agent run finished");
      else if (outcome === "retry") log.warn(entry, "agent run handed back for a retry");
      else log.error(entry, "agent run failed");
    };

    const writer = createFrameWriter((event) => job.emit(event), config.coalesceMs);
    const heartbeat = setInterval(() => job.working(), workingEveryMs);
    const run = new AbortController();
    const forward = () => run.abort(job.signal.reason);
    if (job.signal.aborted) forward();
    else job.signal.addEventListener("abort", forward, { once: true });
    // Stops the agent like a cancel would, but the frames it then yields (`agent.done`
    // "cancelled") are not the run's end: they are never written, and the run is requeued.
    let handedOver = false;
    const handOver = () => {
      handedOver = true;
      run.abort();
    };
    handOvers.add(handOver);
    if (handingOver) handOver();

    try {
      const agent = pool.get(request.agent);
      if (!agent) {
        await writer.send({
          type: "agent.error",
          code: "not_found",
          message: `no agent ${request.agent}`,
          retryable: false,
        });
        await job.term();
        deps.onRunError?.("not_found");
        finished(false, "unknown_agent");
        return;
      }
      if (job.attempt > 1) writer.frame({ type: "agent.restart", attempt: job.attempt });

      let produced = false;
      const events = agent.run(
        {
          input: request.input,
          userId: request.userId,
          tier: request.tier,
          ...(request.context ? { context: request.context } : {}),
        },
        {
          provider,
          ctx: { userId: request.userId, tier: request.tier, requestId: request.requestId, services },
          maxSteps: config.modelMaxSteps,
          signal: run.signal,
          ...(request.confirmTrades === true
            ? {
                confirmations: {
                  timeoutMs: config.agentConfirmTimeoutMs,
                  answer: (confirmId, signal) => job.answer(confirmId, signal),
                },
              }
            : {}),
        },
      );
      for await (const event of events) {
        if (handedOver) break;
        if (writer.failure !== undefined) throw writer.failure;
        if (event.type === "agent.delta") {
          writer.delta(event.text);
          produced = true;
        } else if (event.type === "agent.done") {
          await writer.send(event);
          await job.ack();
          finished(true, event.stopReason, { usage: event.usage });
          return;
        } else if (event.type === "agent.error") {
          await endWithError(event, produced);
          return;
        } else {
          writer.frame(event);
          produced = true;
        }
      }
      if (handedOver) {
        // What was written stays: the next attempt continues after it (stored chunks are never
        // written twice), and its `agent.restart` tells the client to discard the partial text.
        await writer.flush();
        await job.nak();
        finished(false, "handed_over");
        return;
      }
    } catch (err) {
      // The run's stream could not be written (the bus is down): its output is incomplete, so
      // another worker must run it again.
      run.abort();
      log.error(
        { err, action: "agent.run", duration: Math.round(performance.now() - started), success: false },
        "agent run output failed",
      );
      await job.nak(retryDelayMs).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
      job.signal.removeEventListener("abort", forward);
      handOvers.delete(handOver);
    }

    async function endWithError(event: Extract<AgentEvent, { type: "agent.error" }>, produced: boolean) {
      if (event.retryable && !produced && job.attempt < config.agentMaxDeliver) {
        await writer.flush();
        await job.nak(retryDelayMs);
        finished(false, "retry", { code: event.code });
        return;
      }
      await writer.send(event);
      await job.term();
      deps.onRunError?.(event.code);
      finished(false, "error", { code: event.code });
    }
  }

  return {
    start() {
      consumer ??= runQueue.consume(counted, { concurrency: config.workerConcurrency });
    },
    async stop(options = {}) {
      const stopping = consumer;
      consumer = undefined;
      const { handOverAfterMs } = options;
      const timer =
        handOverAfterMs === undefined
          ? undefined
          : setTimeout(() => {
              handingOver = true;
              for (const handOver of handOvers) handOver();
            }, handOverAfterMs);
      try {
        await stopping?.stop();
      } finally {
        clearTimeout(timer);
      }
    },
    get active() {
      return consumer?.active ?? 0;
    },
    busy,
  };
}
