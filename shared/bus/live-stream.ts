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
 * - `epoch` names the log's history: it changes only when history was lost (the stream was
 *   recreated, or the in-process log restarted). A (seq, epoch) from another epoch is unknown.
 * - `subscribe` delivers every event published after it was set up, exactly once, in seq
 *   order, including across reconnects of the adapter (a gap is filled from the log before later
 *   events are delivered).
 * - `history(channel, after, epoch)` returns every stored event of the channel with seq > after,
 *   in order, with `recovered: true` when the log still holds all of them (same epoch, nothing
 *   after `after` aged out); otherwise `recovered: false` and no events.
 * - Events are kept `liveMaxAgeMs` and at most `liveMaxMsgsPerTopic` per topic.
 */
export type LiveTopic = `match.${string}` | `market.${string}` | `user.${string}`;

/** A channel as the log understands it: one topic, or every topic of a kind. */
export type LiveChannel = LiveTopic | "match.*" | "market.*";

export interface LiveEvent {
  topic: LiveTopic;
  seq: number;
  epoch: string;
  /** ISO-8601 time the event was stored. */
  time: string;
  data: unknown;
}

export interface LivePosition {
  /** The seq of the channel's latest stored event (0 when none). */
  seq: number;
  epoch: string;
}

export interface LiveSubscription {
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
