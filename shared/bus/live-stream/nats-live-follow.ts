import type { NatsConnection } from "@nats-io/transport-node";
import type { LiveChannel, LiveEvent, LivePosition, LiveSubscription, LiveTopic } from "./live-stream.js";
import {
  channelFilter,
  type LiveLog,
  type LogReader,
  lastStored,
  readFrom,
  toLiveEvent,
  topicSubject,
} from "./nats-live-log.js";

const retryMs = 500;
/** Live events held while a gap is filled; past this they are dropped and read from the log. */
const heldMax = 10_000;
/**
 * A kind's first event after this long without one is held until the log confirms nothing of the
 * kind came before it unseen. A stream leader that dies loses the republishes it had in flight,
 * and the election that follows is a pause of seconds (docs/operations.md, "Losing one node"): the
 * topic of a lost event may publish nothing more for minutes while the kind's others carry on.
 */
const kindQuietMs = 500;

/** A subscription the stream object tells about reconnects and a recreated stream. */
export interface Follower extends LiveSubscription {
  /** The connection came back: fill whatever was missed while it was down. */
  reconnected(): Promise<void>;
  /** The stream was recreated: what it holds now is all new. */
  restarted(): void;
}

export interface FollowOptions {
  /** See `kindQuietMs`; tests shorten it. */
  quietMs?: number;
}

/**
 * Follows a channel (one topic, or every topic of a kind: `match.*`, `market.*`) through a core
 * subscription to the stream's republished events: no consumer, so nothing is placed on a node
 * that may be lost or still catching up, and a process may follow one topic per user it serves.
 *
 * Gaps: each republished event names the previous seq of its topic (`Nats-Last-Sequence`), so an
 * event whose predecessor was never delivered holds delivery while the log, read from the stream
 * leader, fills the channel from the last delivered seq. A kind also reads the log before its
 * first event after a quiet spell (`kindQuietMs`), which is when a leader loss drops republishes.
 * After a reconnect the log is read from the last delivered seq. Live events arriving meanwhile
 * are held, so the channel stays in seq order. The one exception: a predecessor that only shows
 * up once later events of the kind's other topics were delivered (a loss with no quiet spell) is
 * delivered late, below the kind's last seq but in order for its topic.
 */
export function followChannel(
  nc: NatsConnection,
  log: LiveLog,
  channel: LiveChannel,
  onEvent: (event: LiveEvent) => void,
  options: FollowOptions = {},
): Follower {
  const filter = channelFilter(log.names, channel);
  const isKind = channel.endsWith(".*");
  const quietMs = isKind ? (options.quietMs ?? kindQuietMs) : Number.POSITIVE_INFINITY;
  // Two per process, so the stream leader answers their reads; a process follows one topic per
  // user it serves, and those keep to direct gets, which any replica answers.
  const via: LogReader = isKind ? "leader" : "direct";
  const held: { event: LiveEvent; previous: number }[] = [];
  /** The newest seq delivered: every event of the channel up to it was delivered, late ones aside. */
  let cursor = 0;
  /** Below this, nothing is owed: the start position, or 0 after the stream was recreated. */
  let floor = 0;
  /** The newest seq delivered per topic since `floor`: at most the kind's topics (the season's). */
  const lastOfTopic = new Map<LiveTopic, number>();
  /** Topics whose missing predecessor is older than `cursor`: read from the log on their own. */
  const behind = new Set<LiveTopic>();
  let lastArrivalAt = 0;
  let closed = false;
  /** Live events wait while the start position is unknown or a gap is being filled. */
  let busy: Promise<void> | undefined;
  let readAgain = false;

  const subject = isKind
    ? `${log.names.republished}${channel}`
    : topicSubject(log.names.republished, channel as LiveTopic);
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err !== null || closed) return;
      const seq = Number(msg.headers?.get("Nats-Sequence"));
      const stored = { subject: msg.subject, seq, headers: msg.headers, data: msg.data };
      const event = toLiveEvent(log.names.republished, stored, log.epoch());
      const previous = Number(msg.headers?.get("Nats-Last-Sequence") ?? 0);
      const now = Date.now();
      const quiet = now - lastArrivalAt >= quietMs;
      lastArrivalAt = now;
      if (busy !== undefined) hold(event, previous);
      else if (event.seq <= lastOf(event.topic)) return;
      else if (previous > lastOf(event.topic) || quiet) {
        if (previous > lastOf(event.topic) && previous <= cursor) behind.add(event.topic);
        hold(event, previous);
        fill(true);
      } else deliver(event);
    },
  });

  function lastOf(topic: LiveTopic): number {
    return lastOfTopic.get(topic) ?? floor;
  }

  function hold(event: LiveEvent, previous: number) {
    if (held.length >= heldMax) {
      held.length = 0;
      readAgain = true;
    }
    held.push({ event, previous });
  }

  function deliver(event: LiveEvent) {
    if (event.seq <= lastOf(event.topic)) return;
    cursor = Math.max(cursor, event.seq);
    lastOfTopic.set(event.topic, event.seq);
    onEvent(event);
  }

  /** Delivers held events that follow on; false when one still has a predecessor to read. */
  function drain(acceptGaps: boolean): boolean {
    held.sort((a, b) => a.event.seq - b.event.seq);
    while (held.length > 0) {
      const { event, previous } = held[0]!;
      if (previous > lastOf(event.topic) && !acceptGaps) {
        if (previous <= cursor) behind.add(event.topic);
        return false;
      }
      deliver(event);
      held.shift();
    }
    return true;
  }

  /** Reads what the log holds after `from` and delivers it; whether it found anything. */
  async function readAndDeliver(readFilter: string, from: number, until = Number.POSITIVE_INFINITY) {
    const missed = (await readFrom(log, readFilter, from, via)).filter((e) => e.seq <= until);
    if (closed) return false;
    for (const event of missed) deliver(event);
    return missed.length > 0;
  }

  /** Brings the cursor up to the log, then delivers what was held; one run at a time. */
  function fill(read: boolean): Promise<void> {
    if (busy !== undefined) {
      readAgain ||= read;
      return busy;
    }
    readAgain = read;
    busy = (async () => {
      for (;;) {
        if (closed) return;
        try {
          let found = false;
          for (const { event, previous } of held) {
            if (previous > lastOf(event.topic) && previous <= cursor) behind.add(event.topic);
          }
          // Late predecessors first: the kind's read below may hold their topics' next events.
          for (const topic of [...behind]) {
            behind.delete(topic);
            const from = lastOf(topic) + 1;
            found = (await readAndDeliver(channelFilter(log.names, topic), from, cursor)) || found;
          }
          if (readAgain) {
            readAgain = false;
            found = (await readAndDeliver(filter, cursor + 1)) || found;
          }
          if (closed) return;
          // A predecessor that a fresh read does not find was discarded by the limits.
          if (!readAgain && drain(!found && behind.size === 0)) return;
          readAgain = true;
        } catch {
          await delay(retryMs);
          readAgain = true;
        }
      }
    })().finally(() => {
      busy = undefined;
    });
    return busy;
  }

  async function start(): Promise<LivePosition> {
    busy = (async () => {
      for (;;) {
        try {
          await nc.flush();
          cursor = (await lastStored(log, filter, via))?.seq ?? 0;
          floor = cursor;
          return;
        } catch {
          if (closed) return;
          await delay(retryMs);
        }
      }
    })();
    await busy;
    const position = { seq: cursor, epoch: log.epoch() };
    busy = undefined;
    await fill(false);
    return position;
  }

  return {
    ready: start(),
    reconnected: () => fill(true),
    restarted() {
      cursor = 0;
      floor = 0;
      lastOfTopic.clear();
      behind.clear();
      void fill(true);
    },
    close() {
      closed = true;
      held.length = 0;
      sub.unsubscribe();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
