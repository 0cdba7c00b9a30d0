import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import { messaging } from "../../telemetry/attributes.js";
import { SpanKind, traced, tracingOn } from "../../telemetry/spans.js";
import { openKvBucket } from "../nats/nats-kv.js";
import { createNatsReplies, type PubAck, StreamPublishError } from "../nats/nats-replies.js";
import { withTraceHeaders } from "../nats/nats-trace.js";
import { admit, queuedAhead } from "./admission.js";
import { encodeAnswer } from "./confirm-answers.js";
import { startRunConsumer } from "./nats-run-consumer.js";
import { createRunDepth } from "./nats-run-depth.js";
import { createRunOutput } from "./nats-run-output.js";
import {
  clientRunKey,
  ensureRunStreams,
  isRepeatable,
  runNames,
  type StreamReplicas,
} from "./nats-run-streams.js";
import type { AgentRunRequest, RunConsumer, RunQueue, RunQueueOptions } from "./run-queue.js";
import { publishRetryWindowMs } from "./run-queue-defaults.js";

/** The server's answer to a publish into a full `discard: new` stream. */
const streamFullCode = 10077;

export interface NatsRunQueueOptions extends RunQueueOptions, StreamReplicas {
  /** Prefix of stream, consumer and KV bucket names (`${streamPrefix}AGENT_REQ_FREE`). */
  streamPrefix: string;
  /** Prefix of every subject (ends with a dot when set). */
  subjectPrefix: string;
}

/**
 * The agent-run port on JetStream (layout in docs/architecture.md "Ports and adapters" and "An agent run"). Creates or updates its
 * streams, consumers and KV bucket before resolving, so any process may start first. The
 * connection stays the caller's: `close()` stops this adapter's work, not `nc`.
 */
export async function createNatsRunQueue(
  nc: NatsConnection,
  options: NatsRunQueueOptions,
): Promise<RunQueue> {
  const names = runNames(options.streamPrefix, options.subjectPrefix);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const repair = () => ensureRunStreams(jsm, names, options);
  await repair();
  const runs = await openKvBucket(new Kvm(js), names.runsBucket, options.dedupeWindowMs, options.replicas);
  // JetStream publishes and acks of the run queue, matched on one inbox (nats-replies.ts).
  const replies = createNatsReplies(nc, { what: "agent bus", closedMessage: "run queue is closed" });
  const output = createRunOutput(nc, jsm, replies, names, {
    publishRetryWindowMs: publishRetryWindowMs(options.ackWaitMs),
  });
  const consumers = new Set<ReturnType<typeof startRunConsumer>>();

  const depth = await createRunDepth(jsm, names);

  /**
   * The first run of a client id, from the sequence JetStream answered a repeat with: still in its
   * stream while it waits or runs, else (acked out of it) recorded under the key when it was stored.
   */
  async function firstRunId(tier: AgentRunRequest["tier"], seq: number, key: string): Promise<string> {
    const queued = await jsm.streams.getMessage(names.reqStream(tier), { seq }).catch(() => null);
    if (queued !== null) return queued.json<AgentRunRequest>().requestId;
    const recorded = await runs.get(key).catch(() => null);
    if (recorded?.operation === "PUT") return recorded.string();
    throw new AppError(
      "bad_request",
      "this agent.run id started a run in the last 2 minutes that can no longer be found; send a new id",
    );
  }

  return {
    async submit(request) {
      const refreshing = depth.whenCurrent();
      if (refreshing !== undefined) await refreshing;
      // Read, admit and reserve with no await between: overlapping submits see each other.
      const estimate = depth.estimate();
      admit(request.tier, estimate.unsettled, options.queueMax);
      const ahead = queuedAhead(request.tier, estimate.waiting);
      const reservation = depth.reserve(request.tier);
      const key = clientRunKey(request);
      let ack: PubAck;
      try {
        // The client id as msgID: the stream stores one run per client id within its duplicate
        // window, whichever gateway sends it, and answers a repeat with the first one's sequence.
        const subject = names.reqSubject(request.agent, request.tier);
        const publish = () => {
          const traceHeaders = withTraceHeaders();
          return replies.publishStored(subject, JSON.stringify(request), {
            msgID: key,
            ...(traceHeaders === undefined ? {} : { headers: traceHeaders }),
          });
        };
        ack = await (tracingOn()
          ? traced(
              "publish agent.run",
              { kind: SpanKind.PRODUCER, attributes: messaging("send", subject) },
              publish,
            )
          : publish());
      } catch (err) {
        reservation.release();
        if (err instanceof StreamPublishError && err.errCode === streamFullCode) {
          throw new AppError("overloaded", "agent queue is full; try again shortly", { retryAfterMs: 1000 });
        }
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
      if (ack.duplicate) {
        reservation.release();
        return { requestId: await firstRunId(request.tier, ack.seq, key), duplicate: true };
      }
      reservation.stored();
      // For a repeat that comes once this run has left its stream. Not awaited: the run is
      // accepted either way, and the worker writes the same record before its ack takes the run
      // out of the stream (nats-run-consumer.ts), so a gateway that dies now loses nothing.
      if (isRepeatable(request)) {
        replies.publishStored(`$KV.${names.runsBucket}.${key}`, request.requestId).catch(() => undefined);
      }
      return { requestId: request.requestId, duplicate: false, queuedAhead: ahead };
    },

    watch(requestId, after, watchOptions) {
      return output.watch(requestId, after, watchOptions?.fresh === true);
    },

    async lastSeq(requestId) {
      return (await output.lastChunk(requestId))?.seq ?? 0;
    },

    async cancel(requestId) {
      try {
        nc.publish(names.cancelSubject(requestId));
      } catch (err) {
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
    },

    async answer(requestId, answer) {
      try {
        nc.publish(names.answerSubject(requestId), encodeAnswer(answer));
      } catch (err) {
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
    },

    consume(handler, { concurrency }): RunConsumer {
      const consumer = startRunConsumer({ nc, jsm, names, options, output, repair }, handler, concurrency);
      consumers.add(consumer);
      return {
        get active() {
          return consumer.active;
        },
        async stop() {
          await consumer.stop();
          consumers.delete(consumer);
        },
      };
    },

    async close() {
      for (const consumer of consumers) consumer.abort();
      await Promise.all([...consumers].map((c) => c.stop()));
      consumers.clear();
      output.close();
      replies.close();
    },
  };
}
