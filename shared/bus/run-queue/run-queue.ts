import type { AgentChunk, AgentEvent } from "../../protocol/agent-frames.js";
import type { AgentName } from "../../protocol/agents.js";

/**
 * The agent-run port: how gateways hand runs to workers and how workers stream output back.
 * Adapters: `createNatsRunQueue` (JetStream: a work-queue stream per tier, `AGENT_REQ` for pro and
 * `AGENT_REQ_FREE`, then `AGENT_OUT`, a KV bucket for run ids) and `createMemoryRunQueue` (one
 * process). One contract suite (`run-queue.contract.ts`) runs against both.
 *
 * Contract:
 * - `submit` is idempotent per (userId, clientId) for `dedupeWindowMs` (2 minutes): a second
 *   submit returns the first run's `requestId` with `duplicate: true` and queues nothing. Over
 *   JetStream the window is kept by each tier's stream, so a user whose tier changed within it
 *   could start the same client id once more on the new tier.
 * - Admission (admission.ts; a refusal is `AppError("overloaded")`, a bus that is down
 *   `unavailable`). A run counts from its submit until it is acked or dropped, waiting or held by a
 *   worker. Pro runs have `queueMax` places that free runs never take: a pro run is refused only
 *   when `queueMax` pro runs count, and the JetStream adapter has the server enforce that (a stream
 *   per tier with `discard: new`), so it holds across any number of gateways submitting at once.
 *   Free runs are refused once runs of both tiers fill `freeQueueMax(queueMax)` (a tenth less), so
 *   free runs are refused before pro runs are; the server bounds the free runs at that count too.
 *   Within one gateway, submits that overlap see each other: of N free runs submitted at once to
 *   an empty queue, exactly `min(N, freeQueueMax)` are accepted. Across gateways the test of both
 *   tiers together uses an estimate (each gateway counts the others' runs as of its last look, at
 *   most a second old while it is busy), so free runs may still be accepted for a
 *   moment once pro runs have filled that share; they never displace a pro run. At most
 *   `queueMax + freeQueueMax(queueMax)` runs count at once.
 * - `queuedAhead` counts the runs a new run waits behind when it is accepted, not those already
 *   held by workers: for a pro run the pro runs waiting, for a free run the runs of both tiers
 *   waiting (workers take pro runs first). Exact in one process; over JetStream an estimate as
 *   above, never from an API call of its own.
 * - A submitted run is delivered to exactly one worker at a time; a worker that neither acks nor
 *   signals `working()` within `ackWaitMs` (or that dies) loses it and another worker gets it,
 *   with `attempt` incremented, up to `maxDeliver` attempts. Pro runs are delivered before free
 *   runs that are waiting at the same time. A run that comes back after its terminal chunk was
 *   stored (its ack was lost, or its worker failed after the end) is over: it is removed without
 *   reaching a handler, so no chunk is ever stored after a terminal one.
 * - Output: `RunJob.emit` assigns `seq` 1, 2, 3… in emit order and continues after the last seq
 *   already published for the run (so a redelivered run continues the sequence). `emit` may be
 *   called again before the previous call resolves (workers pipeline a run's frames): chunks are
 *   stored in call order, and each call resolves only once its chunk and every earlier one are
 *   stored (so the terminal chunk resolving means the whole run is stored); once a call has
 *   rejected, later calls of that delivery reject and store nothing. Chunks are stored for
 *   `outMaxAgeMs`; `watch(requestId, after)` yields every stored chunk with `seq > after` and then
 *   the live ones, exactly once each and in seq order, and ends after the terminal chunk
 *   (`agent.done` / `agent.error`).
 * - A run that used up `maxDeliver` attempts without being acked gets a terminal
 *   `agent.error` (`unavailable`, retryable) published by the adapter, so watchers always end.
 * - Tracing (docs/architecture.md "Tracing"): `submit` is a producer span that carries its context
 *   to the worker out of band (NATS message headers, never the payload); the handler of each
 *   delivery runs inside a consumer span, child of that publish.
 * - `cancel` reaches the worker running the run (or the one that later picks it up, within the
 *   dedupe window): its `RunJob.signal` aborts.
 * - `answer` reaches the worker running the run at most once (core NATS, no store): a
 *   `RunJob.answer` waiting for that `confirmId` resolves with it. An answer nobody waits for (the
 *   run moved on, or moved to another worker) is dropped, so the waiter's timeout decides then.
 */
export interface AgentRunRequest {
  /** Payload version; bumped on a breaking change of this shape. */
  v: 1;
  requestId: string;
  /** The `id` of the client's `agent.run` frame; for HTTP runs the run's own `requestId`. */
  clientId: string;
  userId: string;
  tier: "free" | "pro";
  agent: AgentName;
  input: string;
  context?: { matchId?: string; marketId?: string };
  /** The client asked to confirm each trade (`agent.confirm`); absent: trades are placed as asked. */
  confirmTrades?: boolean;
  /** ms since epoch when the gateway accepted the run. */
  submittedAt: number;
}

/** A client's answer to an `agent.confirm`, as it crosses the bus. */
export interface ConfirmAnswer {
  confirmId: string;
  accept: boolean;
}

export interface SubmitResult {
  requestId: string;
  duplicate: boolean;
  /** Runs this one waits behind when accepted (see the contract; absent when unknown). */
  queuedAhead?: number;
}

export interface RunWatch extends AsyncIterable<AgentChunk> {
  /** Stops the watch; the iterator ends. Idempotent. */
  close(): void;
}

export interface RunQueue {
  /** Gateway side. `request.requestId` is used unless the run is a duplicate. */
  submit(request: AgentRunRequest): Promise<SubmitResult>;
  /**
   * Chunks with `seq > after`, stored then live, ending after the terminal chunk. `fresh`: the run
   * is not submitted yet (the gateway watches a new run before submitting it, so no chunk can be
   * missed), so nothing is stored and the replay read is skipped.
   */
  watch(requestId: string, after: number, options?: { fresh?: boolean }): RunWatch;
  /** The run's last published chunk seq (0 when none). */
  lastSeq(requestId: string): Promise<number>;
  cancel(requestId: string): Promise<void>;
  /** The user's answer to the run's `agent.confirm` `confirmId` (see the contract). */
  answer(requestId: string, answer: ConfirmAnswer): Promise<void>;

  /** Worker side: starts delivering runs to `handler`, at most `concurrency` at once. */
  consume(handler: RunHandler, options: { concurrency: number }): RunConsumer;

  /** Closes connections/timers owned by this adapter. */
  close(): Promise<void>;
}

export type RunHandler = (job: RunJob) => Promise<void>;

export interface RunConsumer {
  /** Runs being handled right now. */
  readonly active: number;
  /** Stops taking new runs and waits for the active ones to finish (graceful drain). */
  stop(): Promise<void>;
}

export interface RunJob {
  readonly request: AgentRunRequest;
  /** 1 for the first delivery; >1 when the run moved here from a worker that failed. */
  readonly attempt: number;
  /** Aborts when the client cancels the run or the consumer is force-stopped. */
  readonly signal: AbortSignal;
  /**
   * Publishes the next chunk of the run's stream (seq assigned here). Resolves once this chunk and
   * every earlier one are stored; the next call need not wait for it.
   */
  emit(event: AgentEvent): Promise<void>;
  /**
   * Waits for the client's answer to this run's `agent.confirm` `confirmId`: true to go ahead.
   * Rejects with the signal's reason when `signal` aborts (the caller's timeout or a cancel).
   */
  answer(confirmId: string, signal: AbortSignal): Promise<boolean>;
  /** Tells the bus the run is still alive (extends the ack deadline). Cheap; call often. */
  working(): void;
  /**
   * The run is finished (its terminal chunk was emitted): remove it from the queue. Not confirmed
   * by the bus: should the ack be lost, the run comes back and ends without running (above).
   */
  ack(): Promise<void>;
  /** This worker cannot run it now: deliver again later (to any worker). */
  nak(delayMs?: number): Promise<void>;
  /** The run can never succeed: drop it without redelivery. */
  term(): Promise<void>;
}

export interface RunQueueOptions {
  dedupeWindowMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  queueMax: number;
  outMaxAgeMs: number;
}
