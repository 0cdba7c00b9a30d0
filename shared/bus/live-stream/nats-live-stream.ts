import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import { messaging } from "../../telemetry/attributes.js";
import { SpanKind, traced, tracingOn } from "../../telemetry/spans.js";
import { createNatsReplies } from "../nats/nats-replies.js";
import { withTraceHeaders } from "../nats/nats-trace.js";
import type { LiveStream } from "./live-stream.js";
import { type Follower, followChannel } from "./nats-live-follow.js";
import { readHistory } from "./nats-live-history.js";
import {
  channelFilter,
  ensureLiveStream,
  epochOf,
  type LiveLog,
  type LiveLogOptions,
  lastStored,
  leaderReadTimeoutMs,
  liveNames,
  timeHeader,
  topicSubject,
} from "./nats-live-log.js";

export interface NatsLiveStreamOptions extends LiveLogOptions {
  streamPrefix: string;
  subjectPrefix: string;
}

/** Topic subscriptions refilled at once after a reconnect, so a NATS restart is no request storm. */
const refillConcurrency = 16;

/**
 * The LIVE port on JetStream (nats-server 2.9): the limits stream `${streamPrefix}LIVE` over
 * `${subjectPrefix}live.>`. seq is the stream sequence and the epoch a digest of the stream's
 * creation time. Every subscription, of a topic or of a kind (`match.*`, `market.*`), is a core
 * subscription to the stream's republished events, with gaps filled from the log
 * (nats-live-follow.ts). After a reconnect the stream is ensured again (a server that lost its
 * store gets it back, under a new epoch) and every subscription reads what it missed.
 */
export async function createNatsLiveStream(
  nc: NatsConnection,
  options: NatsLiveStreamOptions,
): Promise<LiveStream> {
  const names = liveNames(options.streamPrefix, options.subjectPrefix);
  const jsm = await jetstreamManager(nc);
  let epoch = epochOf(await unavailableOnError(ensureLiveStream(jsm, names, options)));
  const leader = await jetstreamManager(nc, { timeout: leaderReadTimeoutMs });
  const log: LiveLog = { js: jetstream(nc), jsm, leader, names, epoch: () => epoch };
  // Publishes and their acks share one inbox (nats-replies.ts): `js.publish` is a core request
  // each, with a timer and two stack-captured errors, and a trade alone publishes three events.
  const replies = createNatsReplies(nc, { what: "live stream", closedMessage: "live stream is closed" });
  const followers = new Set<Follower>();
  let closed = false;

  async function reconnected() {
    for (;;) {
      if (closed) return;
      try {
        const info = await ensureLiveStream(jsm, names, options);
        const current = epochOf(info);
        if (current !== epoch) {
          epoch = current;
          for (const follower of followers) follower.restarted();
          return;
        }
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const queue = [...followers];
    await Promise.all(
      Array.from({ length: refillConcurrency }, async () => {
        for (let follower = queue.shift(); follower !== undefined; follower = queue.shift()) {
          await follower.reconnected();
        }
      }),
    );
  }

  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "reconnect") void reconnected();
    }
  })();
  void nc.closed().then(() => {
    for (const follower of followers) follower.close();
    followers.clear();
  });

  return {
    async publish(topic, data) {
      const subject = topicSubject(names.stored, topic);
      const store = async () => {
        const h = headers();
        h.set(timeHeader, new Date().toISOString());
        const ack = await unavailableOnError(
          replies.publishStored(subject, JSON.stringify(data ?? null), { headers: withTraceHeaders(h)! }),
        );
        return { seq: ack.seq, epoch };
      };
      if (!tracingOn()) return store();
      return traced(
        "publish live",
        { kind: SpanKind.PRODUCER, attributes: messaging("send", subject) },
        store,
      );
    },

    subscribe(channel, onEvent) {
      const follower = followChannel(nc, log, channel, onEvent);
      followers.add(follower);
      return {
        ready: follower.ready,
        close() {
          followers.delete(follower);
          follower.close();
        },
      };
    },

    history: (channel, after, askedEpoch) =>
      unavailableOnError(readHistory(log, options.maxMsgsPerTopic, channel, after, askedEpoch)),

    last: (topic) => unavailableOnError(lastStored(log, channelFilter(names, topic))),

    async position(channel) {
      const latest = await unavailableOnError(lastStored(log, channelFilter(names, channel)));
      return { seq: latest?.seq ?? 0, epoch };
    },

    async close() {
      closed = true;
      replies.close();
      for (const follower of followers) follower.close();
      followers.clear();
    },
  };
}

async function unavailableOnError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("unavailable", "live stream unavailable", { cause: err });
  }
}
