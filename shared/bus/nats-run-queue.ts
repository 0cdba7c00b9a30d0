import { createHash } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../errors.js";
import { admit, queuedAhead } from "./admission.js";
import { isWrongLastSequence, openKvBucket } from "./nats-kv.js";
import { createRunReplies, StreamPublishError } from "./nats-run-acks.js";
import { startRunConsumer } from "./nats-run-consumer.js";
import { createRunDepth } from "./nats-run-depth.js";
import { createRunOutput } from "./nats-run-output.js";
import { ensureRunStreams, runNames } from "./nats-run-streams.js";
import type { RunConsumer, RunQueue, RunQueueOptions } from "./run-queue.js";

/** The server's answer to a publish into a full `discard: new` stream. */
const streamFullCode = 10077;
/** The server's answer to a publish whose expected last subject sequence is not the subject's. */
const wrongLastSequenceCode = 10071;

export interface NatsRunQueueOptions extends RunQueueOptions {
  /** Prefix of stream, consumer and KV bucket names (`${streamPrefix}AGENT_REQ_FREE`). */
  streamPrefix: string;
  /** Prefix of every subject (ends with a dot when set). */
  subjectPrefix: string;
}

/**
 * The agent-run port on JetStream (layout in DESIGN.md "NATS layout"). Creates or updates its
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
  const runs = await openKvBucket(new Kvm(js), names.runsBucket, options.dedupeWindowMs);
  const replies = createRunReplies(nc);
  const output = createRunOutput(nc, jsm, replies, names);
  const consumers = new Set<ReturnType<typeof startRunConsumer>>();

  const depth = await createRunDepth(jsm, names);

  /**
   * `runs.create(key, value)` on the common path (the key is new) as one publish on this adapter's
   * reply inbox: the KV client's own request builds a timer and errors with stacks per call. A key
   * that holds anything, even the marker of a deleted key, goes to `runs.create`, which knows
   * when a marker may be overwritten.
   */
  async function createKey(key: string, value: string): Promise<void> {
    try {
      await replies.publishStored(`$KV.${names.runsBucket}.${key}`, value, { lastSubjectSequence: 0 });
    } catch (err) {
      if (!(err instanceof StreamPublishError && err.errCode === wrongLastSequenceCode)) throw err;
      await runs.create(key, value);
    }
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
      const key = createHash("sha256")
        .update(request.userId)
        .update("\u0000")
        .update(request.clientId)
        .digest("hex");
      // The atomic create is what makes a resubmit through any gateway a duplicate.
      try {
        await createKey(key, request.requestId);
      } catch (err) {
        reservation.release();
        const first = isWrongLastSequence(err) ? await runs.get(key).catch(() => null) : null;
        if (first?.operation === "PUT") return { requestId: first.string(), duplicate: true };
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
      try {
        // The same key as msgID: JetStream drops a repeat inside its window as well.
        const ack = await replies.publishStored(
          names.reqSubject(request.agent, request.tier),
          JSON.stringify(request),
          { msgID: key },
        );
        if (ack.duplicate) reservation.release();
        else reservation.stored();
      } catch (err) {
        reservation.release();
        await runs.delete(key).catch(() => undefined);
        if (err instanceof StreamPublishError && err.errCode === streamFullCode) {
          throw new AppError("overloaded", "agent queue is full; try again shortly", { retryAfterMs: 1000 });
        }
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
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
