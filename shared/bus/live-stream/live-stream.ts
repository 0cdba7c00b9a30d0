import type { TraceCarrier } from "../../telemetry/spans.js";

/**
 * The LIVE port: the league's live events (match events, market prices, per-user events) as one
 * ordered, replayable log. Adapters: `createNatsLiveStream` (the JetStream limits stream
 * `${streamPrefix}LIVE`, subjects `${subjectPrefix}live.match.<id>`, `live.market.<id>`,
 * `live.user.<userId>`) and `createMemoryLiveStream` (one process). One contract suite
 * (`live-stream.contract.ts`) runs against both.
 *
 * Topics and channels: a publish names one topic (`match.<id>`, `market.<id>`, `user.<userId>`).
 * The protocol's channels map onto topics: `match.<id>` and `market.<id>` are one topic each;
 * `scores` is every `match.*` topic; `prices` is every `market.*` topic; a user's `user` channel
 * is the topic `user.<userId>`.
 *
 * Contract:
 * - Every stored event gets a `seq` from one log-wide counter: strictly increasing in publish
 *   order across all topics, hence strictly increasing within every channel (not contiguous).
 *   `publish` resolves once the event is stored, with its seq.
 * - `epoch` names the log's history: it changes only when history was lost (the stream was
 *   recreated, or the in-process log restarted). A (seq, epoch) from another epoch is unknown.
 * - `subscribe` delivers, once `ready` resolved with a position P, every event of the channel
 *   with seq > P exactly once, in seq order, synchronously to `onEvent` (which must not throw),
 *   including across reconnects of the adapter and restarts of the server (a gap is filled from
 *   the log before later events are delivered). Only an event the log discarded (age, per-topic
 *   limit) before the gap was filled is missing. One exception on NATS (nats-live-follow.ts): an
 *   event of a kind channel whose loss shows only after the kind's other topics delivered later
 *   ones arrives late, below the channel's last seq, still in order within its topic. Subscriptions are meant to be few and shared: a
 *   process subscribes once per channel and fans out itself.
 * - `history(channel, after, epoch)` returns every stored event of the channel with seq > after,
 *   in order, with `recovered: true` when the log still holds all of them (same epoch, nothing
 *   after `after` discarded); otherwise `recovered: false` and no events. An adapter may answer
 *   `recovered: false` when it cannot prove nothing was discarded (the NATS adapter's rule is in
 *   nats-live-history.ts); it never answers `recovered: true` with an event missing.
 * - Events are kept `liveMaxAgeMs` and at most `liveMaxMsgsPerTopic` per topic.
 * - Tracing (docs/architecture.md "Tracing"): `publish` is a producer span and its context
 *   reaches subscribers as `LiveEvent.trace`.
 */
export type LiveTopic = `match.${string}` | `market.${string}` | `user.${string}`;

/** A channel as the log understands it: one topic, or every topic of a kind. */
export type LiveChannel = LiveTopic | "match.*" | "market.*";

export interface LiveEvent {
  topic: LiveTopic;
  seq: number;
  epoch: string;
  /** ISO-8601 time the event was published (the same on the live path and in history). */
  time: string;
  data: unknown;
  /**
   * The publisher's W3C trace context (`traceparent`), carried beside the data (NATS headers),
   * never in it; present only when tracing is on and the publish was inside a span.
   */
  trace?: TraceCarrier;
}

export interface LivePosition {
  /** The seq of the channel's latest stored event (0 when none). */
  seq: number;
  epoch: string;
}

export interface LiveSubscription {
  /**
   * Resolves once the subscription is in place, with the position P after which every event is
   * delivered (see the contract); an adapter that cannot reach its log keeps trying meanwhile.
   */
  readonly ready: Promise<LivePosition>;
  close(): void;
}

export interface LiveStream {
  publish(topic: LiveTopic, data: unknown): Promise<LivePosition>;
  /** Live events of `channel` from now on (see the contract). */
  subscribe(channel: LiveChannel, onEvent: (event: LiveEvent) => void): LiveSubscription;
  history(
    channel: LiveChannel,
    after: number,
    epoch: string,
  ): Promise<{ recovered: boolean; events: LiveEvent[] }>;
  /** The latest stored event of one topic (for snapshots and restarts), or undefined. */
  last(topic: LiveTopic): Promise<LiveEvent | undefined>;
  position(channel: LiveChannel): Promise<LivePosition>;
  close(): Promise<void>;
}

/** Whether `channel` carries the events of `topic`. */
export function channelHas(channel: LiveChannel, topic: LiveTopic): boolean {
  if (channel === "match.*") return topic.startsWith("match.");
  if (channel === "market.*") return topic.startsWith("market.");
  return channel === topic;
}
