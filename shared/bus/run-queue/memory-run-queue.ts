import { AppError } from "../../errors.js";
import { type AgentChunk, type AgentEvent, isTerminal } from "../../protocol/agent-frames.js";
import { agentNames } from "../../protocol/agents.js";
import { messaging } from "../../telemetry/attributes.js";
import { contextFrom, SpanKind, type TraceCarrier, traced, traceHeaders } from "../../telemetry/spans.js";
import { admit, queuedAhead } from "./admission.js";
import { type ChunkFeed, createChunkFeed } from "./chunk-feed.js";
import { createAnswerWaits } from "./confirm-answers.js";
import type {
  AgentRunRequest,
  RunConsumer,
  RunHandler,
  RunJob,
  RunQueue,
  RunQueueOptions,
  RunWatch,
} from "./run-queue.js";
import { defaultRunQueueOptions, deliveriesExhausted } from "./run-queue-defaults.js";
import type { LaneLength, RunQueueStats } from "./run-queue-stats.js";

/** The in-process run queue, with its figures for the operator. */
export interface MemoryRunQueue extends RunQueue {
  /** `lanes`: the runs waiting for a worker per agent and tier, exact; `streams`: none. */
  readonly stats: RunQueueStats;
}

/**
 * The agent-run port in one process (embedded mode and unit tests), with the same delivery
 * semantics as the JetStream adapter: a run is held by one worker at a time, comes back to the
 * queue when its worker throws, naks or stays silent for `ackWaitMs`, and fails with a terminal
 * `agent.error` after `maxDeliver` deliveries. Output chunks are kept `outMaxAgeMs`.
 */
export function createMemoryRunQueue(options: Partial<RunQueueOptions> = {}): MemoryRunQueue {
  const opts: RunQueueOptions = { ...defaultRunQueueOptions, ...options };
  /** (userId, clientId) → the run it started, for `dedupeWindowMs`. */
  const runs = new Map<string, { requestId: string; expiresAt: number }>();
  const waiting: Record<AgentRunRequest["tier"], Entry[]> = { pro: [], free: [] };
  /** Runs queued or held by a worker, per tier: what admission counts, as the work-queue streams do. */
  const unsettled: Record<AgentRunRequest["tier"], number> = { pro: 0, free: 0 };
  const outputs = new Map<string, Output>();
  /** requestId → when its cancel is forgotten. */
  const cancelled = new Map<string, number>();
  const held = new Map<string, Set<AbortController>>();
  const answers = createAnswerWaits();
  const consumers: Consumer[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  let closed = false;

  const sweeper = setInterval(sweep, Math.min(1000, opts.outMaxAgeMs, opts.dedupeWindowMs));
  sweeper.unref();

  function sweep() {
    const now = Date.now();
    for (const [key, run] of runs) if (run.expiresAt <= now) runs.delete(key);
    for (const [id, expiresAt] of cancelled) if (expiresAt <= now) cancelled.delete(id);
    for (const [id, output] of outputs) {
      while (output.chunks.length > 0 && output.chunks[0]!.storedAt <= now - opts.outMaxAgeMs) {
        output.chunks.shift();
      }
      if (output.chunks.length === 0 && output.watchers.size === 0) outputs.delete(id);
    }
  }

  function outputOf(requestId: string): Output {
    let output = outputs.get(requestId);
    if (output === undefined) {
      output = { chunks: [], watchers: new Set() };
      outputs.set(requestId, output);
    }
    return output;
  }

  function publish(requestId: string, event: AgentEvent) {
    const output = outputOf(requestId);
    const chunk = { ...event, seq: (output.chunks.at(-1)?.chunk.seq ?? 0) + 1 } as AgentChunk;
    output.chunks.push({ chunk, storedAt: Date.now() });
    for (const feed of output.watchers) feed.push(chunk);
  }

  function enqueue(entry: Entry, first: boolean) {
    const list = waiting[entry.request.tier];
    if (first) list.unshift(entry);
    else list.push(entry);
    pump();
  }

  function pump() {
    for (;;) {
      const consumer = consumers.find((c) => c.active < c.concurrency);
      const entry = consumer && (waiting.pro.shift() ?? waiting.free.shift());
      if (consumer === undefined || entry === undefined) return;
      // Round robin: the consumer just served goes to the back.
      consumers.splice(consumers.indexOf(consumer), 1);
      consumers.push(consumer);
      deliver(consumer, entry);
    }
  }

  function deliver(consumer: Consumer, entry: Entry) {
    const { requestId } = entry.request;
    const last = outputs.get(requestId)?.chunks.at(-1)?.chunk;
    if (last !== undefined && isTerminal(last)) {
      // Back after its end was stored: the run is over (RunQueue contract).
      unsettled[entry.request.tier] -= 1;
      return;
    }
    entry.attempt += 1;
    const controller = new AbortController();
    if (cancelled.has(requestId)) controller.abort();
    const holders = held.get(requestId) ?? new Set();
    holders.add(controller);
    held.set(requestId, holders);

    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => settle("retry"), opts.ackWaitMs);
      timer.unref();
    };
    const settle = (outcome: "done" | "retry", delayMs = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      holders.delete(controller);
      if (holders.size === 0) held.delete(requestId);
      if (outcome === "done") unsettled[entry.request.tier] -= 1;
      else retry(entry, delayMs);
    };

    const job: RunJob = {
      request: entry.request,
      attempt: entry.attempt,
      signal: controller.signal,
      emit: async (event) => {
        if (closed) throw new AppError("unavailable", "run queue is closed");
        publish(requestId, event);
      },
      answer: (confirmId, signal) => answers.wait(requestId, confirmId, signal),
      working: () => {
        if (!settled) arm();
      },
      ack: async () => settle("done"),
      nak: async (delayMs) => settle("retry", delayMs),
      term: async () => settle("done"),
    };

    consumer.active += 1;
    consumer.controllers.add(controller);
    arm();
    // As over JetStream: each delivery is a consumer span, child of the submit's producer span.
    traced(
      "process agent.run",
      { kind: SpanKind.CONSUMER, attributes: memoryMessaging("process"), parent: contextFrom(entry.trace) },
      () => Promise.resolve().then(() => consumer.handler(job)),
    )
      .catch(() => settle("retry"))
      .finally(() => {
        consumer.active -= 1;
        consumer.controllers.delete(controller);
        consumer.idle();
        pump();
      });
  }

  function retry(entry: Entry, delayMs: number) {
    if (closed) return;
    if (entry.attempt >= opts.maxDeliver) {
      unsettled[entry.request.tier] -= 1;
      publish(entry.request.requestId, deliveriesExhausted(opts.maxDeliver));
      return;
    }
    if (delayMs <= 0) {
      enqueue(entry, true);
      return;
    }
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      enqueue(entry, true);
    }, delayMs);
    timer.unref();
    retryTimers.add(timer);
  }

  function assertOpen() {
    if (closed) throw new AppError("unavailable", "run queue is closed");
  }

  const stats: RunQueueStats = {
    async lanes() {
      const counts = new Map<string, number>();
      for (const list of Object.values(waiting))
        for (const { request } of list) {
          const key = `${request.agent}.${request.tier}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      return agentNames.flatMap((agent) =>
        (["pro", "free"] as const).map(
          (tier): LaneLength => ({ agent, tier, waiting: counts.get(`${agent}.${tier}`) ?? 0 }),
        ),
      );
    },
    async streams() {
      return [];
    },
  };

  return {
    stats,
    async submit(request) {
      assertOpen();
      const key = `${request.userId}\u0000${request.clientId}`;
      const now = Date.now();
      const existing = runs.get(key);
      if (existing !== undefined && existing.expiresAt > now) {
        return { requestId: existing.requestId, duplicate: true };
      }
      admit(request.tier, unsettled, opts.queueMax);
      runs.set(key, { requestId: request.requestId, expiresAt: now + opts.dedupeWindowMs });
      const ahead = queuedAhead(request.tier, { pro: waiting.pro.length, free: waiting.free.length });
      unsettled[request.tier] += 1;
      // A copy, as over a real bus: the worker never shares the gateway's object.
      traced("publish agent.run", { kind: SpanKind.PRODUCER, attributes: memoryMessaging("send") }, () => {
        const trace = traceHeaders();
        enqueue(
          { request: structuredClone(request), attempt: 0, ...(trace === undefined ? {} : { trace }) },
          false,
        );
      });
      return { requestId: request.requestId, duplicate: false, queuedAhead: ahead };
    },

    watch(requestId, after): RunWatch {
      const output = outputOf(requestId);
      const feed = createChunkFeed(after, () => output.watchers.delete(feed));
      for (const { chunk } of output.chunks) feed.push(chunk);
      if (closed) feed.fail(new AppError("unavailable", "run queue is closed"));
      else if (!feed.ended) output.watchers.add(feed);
      return feed;
    },

    async lastSeq(requestId) {
      return outputs.get(requestId)?.chunks.at(-1)?.chunk.seq ?? 0;
    },

    async cancel(requestId) {
      assertOpen();
      cancelled.set(requestId, Date.now() + opts.dedupeWindowMs);
      for (const controller of held.get(requestId) ?? []) controller.abort();
    },

    async answer(requestId, answer) {
      assertOpen();
      // A copy's worth: the worker sees the answer's fields, never the gateway's object.
      answers.deliver(requestId, { confirmId: answer.confirmId, accept: answer.accept });
    },

    consume(handler, { concurrency }): RunConsumer {
      assertOpen();
      let drained: (() => void) | undefined;
      const consumer: Consumer = {
        handler,
        concurrency,
        active: 0,
        controllers: new Set(),
        idle: () => {
          if (consumer.active === 0) drained?.();
        },
      };
      consumers.push(consumer);
      pump();
      return {
        get active() {
          return consumer.active;
        },
        stop() {
          const index = consumers.indexOf(consumer);
          if (index >= 0) consumers.splice(index, 1);
          if (consumer.active === 0) return Promise.resolve();
          return new Promise<void>((resolve) => {
            drained = resolve;
          });
        },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      for (const consumer of consumers.splice(0)) {
        for (const controller of consumer.controllers) controller.abort();
      }
      for (const output of outputs.values()) {
        for (const feed of output.watchers) feed.fail(new AppError("unavailable", "run queue is closed"));
      }
    },
  };
}

interface Entry {
  request: AgentRunRequest;
  /** Deliveries so far. */
  attempt: number;
  /** The submit's trace context, kept beside the request as NATS keeps it in headers. */
  trace?: TraceCarrier;
}

function memoryMessaging(operation: "send" | "process") {
  return { ...messaging(operation, "agent.run"), "messaging.system": "memory" };
}

interface Output {
  chunks: { chunk: AgentChunk; storedAt: number }[];
  watchers: Set<ChunkFeed>;
}

interface Consumer {
  handler: RunHandler;
  concurrency: number;
  active: number;
  controllers: Set<AbortController>;
  idle(): void;
}
