import { randomBytes } from "node:crypto";
import { messaging } from "../../telemetry/attributes.js";
import { SpanKind, traced, traceHeaders } from "../../telemetry/spans.js";
import {
  channelHas,
  type LiveChannel,
  type LiveEvent,
  type LivePosition,
  type LiveStream,
  type LiveTopic,
} from "./live-stream.js";

export interface MemoryLiveStreamOptions {
  maxAgeMs?: number;
  maxMsgsPerTopic?: number;
}

interface TopicLog {
  /** The topic's stored events, oldest first. */
  events: LiveEvent[];
  /** The highest seq of this topic the limits discarded (0: none), for exact recovery answers. */
  discardedThrough: number;
}

/**
 * The LIVE port in one process. Data goes through JSON as on the wire; subscribers get the stored
 * event objects (they must not mutate them). The epoch is random per instance: a restarted process
 * has lost its history. Recovery answers are exact: each topic remembers the last seq it discarded.
 */
export function createMemoryLiveStream(options: MemoryLiveStreamOptions = {}): LiveStream {
  const maxAgeMs = options.maxAgeMs ?? 86_400_000;
  const maxMsgsPerTopic = options.maxMsgsPerTopic ?? 10_000;
  const epoch = randomBytes(9).toString("base64url");
  const topics = new Map<LiveTopic, TopicLog>();
  /** Every stored event in seq order, so age expiry pops from the front. */
  const byAge: { topic: TopicLog; event: LiveEvent; storedAtMs: number }[] = [];
  const subscribers = new Set<{ channel: LiveChannel; onEvent: (event: LiveEvent) => void }>();
  let seq = 0;
  let closed = false;

  function expire(now: number) {
    while (byAge.length > 0 && byAge[0]!.storedAtMs <= now - maxAgeMs) {
      const { topic, event } = byAge.shift()!;
      // The per-topic limit may have dropped it already.
      if (topic.events[0] === event) {
        topic.events.shift();
        topic.discardedThrough = event.seq;
      }
    }
  }

  function channelEvents(channel: LiveChannel, after: number): LiveEvent[] {
    return logsOf(channel)
      .flatMap((log) => log?.events.filter((e) => e.seq > after) ?? [])
      .sort((a, b) => a.seq - b.seq);
  }

  function logsOf(channel: LiveChannel): (TopicLog | undefined)[] {
    if (!channel.endsWith(".*")) return [topics.get(channel as LiveTopic)];
    return [...topics].filter(([topic]) => channelHas(channel, topic)).map(([, log]) => log);
  }

  /** Stores one event and hands it to the subscribers of its topic, synchronously. */
  function store(topic: LiveTopic, data: unknown): LivePosition {
    const now = Date.now();
    expire(now);
    seq += 1;
    const event: LiveEvent = {
      topic,
      seq,
      epoch,
      time: new Date(now).toISOString(),
      data: JSON.parse(JSON.stringify(data ?? null)),
    };
    const trace = traceHeaders();
    if (trace !== undefined) event.trace = trace;
    let log = topics.get(topic);
    if (log === undefined) {
      log = { events: [], discardedThrough: 0 };
      topics.set(topic, log);
    }
    log.events.push(event);
    if (log.events.length > maxMsgsPerTopic) log.discardedThrough = log.events.shift()!.seq;
    byAge.push({ topic: log, event, storedAtMs: now });
    for (const sub of subscribers) if (channelHas(sub.channel, topic)) sub.onEvent(event);
    return { seq, epoch };
  }

  return {
    async publish(topic, data) {
      if (closed) throw new Error("live stream is closed");
      return traced("publish live", { kind: SpanKind.PRODUCER, attributes: memoryMessaging(topic) }, () =>
        store(topic, data),
      );
    },

    subscribe(channel, onEvent) {
      const sub = { channel, onEvent };
      subscribers.add(sub);
      return {
        ready: Promise.resolve({ seq, epoch }),
        close: () => subscribers.delete(sub),
      };
    },

    async history(channel, after, askedEpoch) {
      expire(Date.now());
      if (askedEpoch !== epoch) return { recovered: false, events: [] };
      if (logsOf(channel).some((log) => log !== undefined && log.discardedThrough > after)) {
        return { recovered: false, events: [] };
      }
      return { recovered: true, events: channelEvents(channel, after) };
    },

    async last(topic) {
      expire(Date.now());
      return topics.get(topic)?.events.at(-1);
    },

    async position(channel): Promise<LivePosition> {
      expire(Date.now());
      const latest = logsOf(channel).map((log) => log?.events.at(-1)?.seq ?? 0);
      return { seq: Math.max(0, ...latest), epoch };
    },

    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}

function memoryMessaging(topic: LiveTopic) {
  return { ...messaging("send", `live.${topic}`), "messaging.system": "memory" };
}
