import { createHash } from "node:crypto";
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../errors.js";
import { admit } from "./admission.js";
import { createRunReplies, StreamPublishError } from "./nats-run-acks.js";
import { startRunConsumer } from "./nats-run-consumer.js";
import { createRunOutput } from "./nats-run-output.js";
import { ensureRunStreams, runNames } from "./nats-run-streams.js";
import type { RunConsumer, RunQueue, RunQueueOptions } from "./run-queue.js";

/** How old the queue-depth estimate may get before a submit refreshes it (in the background). */
const depthMaxAgeMs = 250;
/** The server's answer to a publish into a full `discard: new` stream. */
const streamFullCode = 10077;

export interface NatsRunQueueOptions extends RunQueueOptions {
  /** Prefix of stream, consumer and KV bucket names (`${streamPrefix}AGENT_REQ`). */
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
  const runs = await openRunsBucket(new Kvm(js), names.runsBucket, options.dedupeWindowMs);
  const replies = createRunReplies(nc);
  const output = createRunOutput(nc, jsm, replies, names);
  const consumers = new Set<ReturnType<typeof startRunConsumer>>();

  // Queue depth for admission and `queuedAhead`: the last stream count plus this process's
  // submits since, so the hot path never waits on an API call.
  const depth = { stored: 0, since: 0, at: 0, refreshing: false };
  const refreshDepth = async () => {
    depth.refreshing = true;
    const sinceBefore = depth.since;
    try {
      const info = await jsm.streams.info(names.reqStream);
      depth.stored = info.state.messages;
      depth.since -= sinceBefore;
      depth.at = Date.now();
    } finally {
      depth.refreshing = false;
    }
  };
  await refreshDepth();
  const queued = () => {
    if (Date.now() - depth.at > depthMaxAgeMs && !depth.refreshing) refreshDepth().catch(() => undefined);
    return depth.stored + depth.since;
  };

  return {
    async submit(request) {
      const queuedAhead = queued();
      admit(request.tier, queuedAhead, options.queueMax);
      const key = createHash("sha256")
        .update(request.userId)
        .update("\u0000")
        .update(request.clientId)
        .digest("hex");
      // The atomic create is what makes a resubmit through any gateway a duplicate.
      try {
        await runs.create(key, request.requestId);
      } catch (err) {
        const first = isWrongLastSequence(err) ? await runs.get(key).catch(() => null) : null;
        if (first?.operation === "PUT") return { requestId: first.string(), duplicate: true };
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
      try {
        // The same key as msgID: JetStream drops a repeat inside its window as well.
        const ack = await replies.publishStored(
          names.reqSubject(request.agent, request.tier),
          JSON.stringify(request),
          key,
        );
        if (!ack.duplicate) depth.since += 1;
      } catch (err) {
        await runs.delete(key).catch(() => undefined);
        if (err instanceof StreamPublishError && err.errCode === streamFullCode) {
          throw new AppError("overloaded", "agent queue is full; try again shortly", { retryAfterMs: 1000 });
        }
        throw new AppError("unavailable", "agent bus unavailable", { cause: err });
      }
      return { requestId: request.requestId, duplicate: false, queuedAhead };
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
      const consumer = startRunConsumer(
        { nc, jsm, names, options, output, replies, repair },
        handler,
        concurrency,
      );
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

async function openRunsBucket(kvm: Kvm, name: string, ttlMs: number): Promise<KV> {
  try {
    return await kvm.create(name, { ttl: ttlMs, history: 1 });
  } catch {
    // Another configuration already exists (an older ttl): use the bucket as it is.
    return kvm.open(name);
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
