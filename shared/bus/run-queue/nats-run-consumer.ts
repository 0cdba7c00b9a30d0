import type { JetStreamManager } from "@nats-io/jetstream";
import { type Msg, type NatsConnection, nanos, type Subscription } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import { messaging } from "../../telemetry/attributes.js";
import { contextFrom, SpanKind, traced, tracingOn } from "../../telemetry/spans.js";
import { createAnswerWaits, decodeAnswer } from "./confirm-answers.js";
import { type Lane, startRunLanes } from "./nats-run-lanes.js";
import type { createRunOutput } from "./nats-run-output.js";
import { deliveryCount, resumeAfter, settle, watchExhaustedRuns } from "./nats-run-redelivery.js";
import { clientRunKey, isRepeatable, type RunNames } from "./nats-run-streams.js";
import { createPrioritySlots } from "./priority-slots.js";
import type { AgentRunRequest, RunConsumer, RunHandler, RunJob, RunQueueOptions } from "./run-queue.js";
import { workingEveryMs } from "./run-queue-defaults.js";

export interface RunConsumerDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: RunNames;
  options: RunQueueOptions;
  output: ReturnType<typeof createRunOutput>;
  /** Re-creates missing streams and consumers (someone deleted them, or the server lost them). */
  repair(): Promise<void>;
}

/**
 * A worker's runs: its lanes (nats-run-lanes.ts) pull at most `concurrency` of them at once, and
 * each runs as a `RunJob` of `handler`, resumed where an earlier delivery left it
 * (nats-run-redelivery.ts), cancelled by the gateway's cancel notices, settled on its ack subject.
 */
export function startRunConsumer(
  deps: RunConsumerDeps,
  handler: RunHandler,
  concurrency: number,
): RunConsumer & { abort(): void } {
  const { nc, names, options, output } = deps;
  const slots = createPrioritySlots(concurrency);
  // Enough for a lane to keep up alone, small enough that a few busy lanes leave slots to others.
  const maxBatch = Math.max(1, Math.ceil(concurrency / 8));
  const renewEveryMs = workingEveryMs(options.ackWaitMs);
  const cancelled = new Map<string, number>();
  const holders = new Map<string, Set<AbortController>>();
  const answers = createAnswerWaits();
  let active = 0;
  let drained: (() => void) | undefined;

  const subs: Subscription[] = [
    nc.subscribe(names.cancelWildcard, {
      callback: (err, msg) => {
        if (err !== null) return;
        const requestId = msg.subject.slice(names.cancelSubject("").length);
        cancelled.set(requestId, Date.now() + options.dedupeWindowMs);
        for (const controller of holders.get(requestId) ?? []) controller.abort();
      },
    }),
    nc.subscribe(names.answerWildcard, {
      callback: (err, msg) => {
        if (err !== null) return;
        const answer = decodeAnswer(msg.string());
        if (answer !== undefined) answers.deliver(msg.subject.slice(names.answerSubject("").length), answer);
      },
    }),
    ...watchExhaustedRuns(deps),
  ];
  const lanes = startRunLanes({ ...deps, slots, maxBatch }, run);

  function run(lane: Lane, msg: Msg) {
    let request: AgentRunRequest;
    try {
      request = msg.json<AgentRunRequest>();
      if (request.v !== 1) throw new AppError("bad_request", `unknown run payload version ${request.v}`);
    } catch {
      settle(nc, msg, "+TERM");
      slots.release();
      return;
    }
    const { requestId } = request;
    const controller = new AbortController();
    const expiresAt = cancelled.get(requestId);
    if (expiresAt !== undefined && expiresAt > Date.now()) controller.abort();
    const held = holders.get(requestId) ?? new Set();
    held.add(controller);
    holders.set(requestId, held);
    active += 1;
    lane.held += 1;

    let settled = false;
    let lastWorking = Date.now();
    const attempt = deliveryCount(msg.reply!);
    /**
     * Settles the run for good, recording its id under its client id first: the ack takes it out
     * of its stream, and a repeat of the client id (a client whose gateway died before answering)
     * then finds it only by this record. The gateway writes it too, but a gateway killed right
     * after storing the run never sends it. Same connection, sent first: the server has the
     * record before the ack.
     */
    const settleForGood = (answer: string) => {
      settled = true;
      try {
        if (isRepeatable(request)) nc.publish(`$KV.${names.runsBucket}.${clientRunKey(request)}`, requestId);
      } catch {
        // The connection closed: the ack below is lost too, and the run comes back.
      }
      settle(nc, msg, answer);
    };
    const job = (afterSeq: number): RunJob => ({
      request,
      attempt,
      signal: controller.signal,
      emit: output.writer(requestId, afterSeq),
      answer: (confirmId, signal) => answers.wait(requestId, confirmId, signal),
      working() {
        const now = Date.now();
        if (settled || now - lastWorking < renewEveryMs) return;
        lastWorking = now;
        settle(nc, msg, "+WPI");
      },
      // Not confirmed by the server (no ack of the ack): a lost one brings the run back, and
      // `execute` then finds its terminal chunk and acks it without running it.
      async ack() {
        settleForGood("+ACK");
      },
      async nak(delayMs) {
        settled = true;
        settle(nc, msg, delayMs ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : "-NAK");
        setTimeout(() => lanes.wake(lane), delayMs ?? 0).unref();
      },
      async term() {
        settleForGood("+TERM");
      },
    });

    async function execute() {
      const afterSeq = await resumeAfter(output, requestId, attempt);
      if (afterSeq === "ended") {
        settleForGood("+ACK");
        return;
      }
      return handler(job(afterSeq));
    }

    // The delivery's consumer span, child of the gateway's publish (its `traceparent` header).
    (tracingOn()
      ? traced(
          "process agent.run",
          {
            kind: SpanKind.CONSUMER,
            attributes: messaging("process", msg.subject),
            parent: contextFrom(msg.headers),
          },
          execute,
        )
      : execute()
    )
      .catch(() => {
        if (settled) return;
        settled = true;
        settle(nc, msg, "-NAK");
        lanes.wake(lane);
      })
      .finally(() => {
        held.delete(controller);
        if (held.size === 0) holders.delete(requestId);
        lane.held -= 1;
        active -= 1;
        slots.release();
        if (active === 0) drained?.();
      });
  }

  let stopped: Promise<void> | undefined;
  return {
    get active() {
      return active;
    },
    /** Force-stop: every run in progress sees its signal abort. */
    abort() {
      for (const held of holders.values()) for (const controller of held) controller.abort();
    },
    stop() {
      stopped ??= (async () => {
        for (const sub of subs) sub.unsubscribe();
        await lanes.stop();
        if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
      })();
      return stopped;
    },
  };
}
