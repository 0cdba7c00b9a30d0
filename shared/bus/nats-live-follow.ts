import { type ConsumerMessages, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LiveChannel, LiveEvent, LivePosition, LiveSubscription, LiveTopic } from "./live-stream.js";
import {
  channelFilter,
  type LiveLog,
  lastStored,
  readFrom,
  toLiveEvent,
  topicSubject,
} from "./nats-live-log.js";

const retryMs = 500;
/** Pull expiry of kind consumers; a stalled one is noticed after two missed heartbeats (expiry / 2). */
const consumeExpiresMs = 10_000;
/** Live events held while a gap is filled; past this they are dropped and read from the log. */
const heldMax = 10_000;

/** A subscription the stream object tells about reconnects and a recreated stream. */
export interface Follower extends LiveSubscription {
  /** The connection came back: fill whatever was missed while it was down. */
  reconnected(): Promise<void>;
  /** The stream was recreated: what it holds now is all new. */
  restarted(): void;
}

/**
 * Follows every topic of a kind (`match.*`, `market.*`) through one ordered consumer: JetStream
 * numbers its deliveries, so a lost one is noticed at the next and the client library recreates
 * the consumer from the last stream seq seen (also after missed heartbeats, as when the server
 * restarts). One consumer per channel per process; the process fans out.
 */
export function followKind(
  log: LiveLog,
  channel: LiveChannel,
  onEvent: (event: LiveEvent) => void,
): Follower {
  const filter = channelFilter(log.names, channel);
  let closed = false;
  let cursor = 0;
  let messages: ConsumerMessages | undefined;

  async function start(): Promise<LivePosition> {
    for (;;) {
      try {
        const { state } = await log.jsm.streams.info(log.names.stream);
        await consumeAfter(state.last_seq);
        return { seq: state.last_seq, epoch: log.epoch() };
      } catch {
        if (closed) return { seq: cursor, epoch: log.epoch() };
        await delay(retryMs);
      }
    }
  }

  /** Keeps trying to consume after `seq` until it works or the subscription is closed. */
  async function resumeAfter(seq: number) {
    while (!closed) {
      try {
        await consumeAfter(seq);
        return;
      } catch {
        await delay(retryMs);
      }
    }
  }

  function restartAfter(seq: () => number): Promise<void> {
    const stale = messages;
    messages = undefined;
    stale?.stop();
    return resumeAfter(seq());
  }

  async function consumeAfter(seq: number) {
    cursor = seq;
    const consumer = await log.js.consumers.get(log.names.stream, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: seq + 1,
    });
    if (closed) return;
    const current = await consumer.consume({
      expires: consumeExpiresMs,
      callback: (m) => {
        // The library resumes from the stream seq after the last delivered one; never repeat.
        if (m.seq <= cursor) return;
        cursor = m.seq;
        onEvent(toLiveEvent(log.names.stored, m, log.epoch()));
      },
    });
    messages = current;
    if (closed) current.stop();
    // Should the library ever give up on its consumer, continue where it stopped.
    const resume = () => {
      if (!closed && messages === current) void resumeAfter(cursor);
    };
    void current.closed().then(resume, resume);
  }

  return {
    ready: start(),
    // The library recovers its consumer by itself, but a pull lost in a server restart waits for
    // two missed heartbeats first; after a reconnect a fresh consumer from the cursor is faster.
    reconnected: () => restartAfter(() => cursor),
    restarted: () => void restartAfter(() => 0),
    close() {
      closed = true;
      messages?.stop();
    },
  };
}

/**
 * Follows one topic through a core subscription to the stream's republished events: no consumer,
 * so a process may follow one topic per user it serves. Each republished event names the previous
 * seq of its subject, so a lost one is noticed at the next and read from the log first; after a
 * reconnect the log is read from the last delivered seq. Live events arriving meanwhile are held.
 */
export function followTopic(
  nc: NatsConnection,
  log: LiveLog,
  topic: LiveTopic,
  onEvent: (event: LiveEvent) => void,
): Follower {
  const filter = channelFilter(log.names, topic);
  const held: { event: LiveEvent; previous: number }[] = [];
  let cursor = 0;
  let closed = false;
  /** Live events wait while the start position is unknown or a gap is being filled. */
  let busy: Promise<void> | undefined;
  let readAgain = false;

  const sub = nc.subscribe(topicSubject(log.names.republished, topic), {
    callback: (err, msg) => {
      if (err !== null || closed) return;
      const seq = Number(msg.headers?.get("Nats-Sequence"));
      const stored = { subject: msg.subject, seq, headers: msg.headers, data: msg.data };
      const event = toLiveEvent(log.names.republished, stored, log.epoch());
      const previous = Number(msg.headers?.get("Nats-Last-Sequence") ?? 0);
      if (busy !== undefined) hold(event, previous);
      else if (event.seq <= cursor) return;
      else if (previous > cursor) {
        hold(event, previous);
        fill(true);
      } else deliver(event);
    },
  });

  function hold(event: LiveEvent, previous: number) {
    if (held.length >= heldMax) {
      held.length = 0;
      readAgain = true;
    }
    held.push({ event, previous });
  }

  function deliver(event: LiveEvent) {
    cursor = event.seq;
    onEvent(event);
  }

  /** Delivers held events that follow on; false when one still has a predecessor to read. */
  function drain(acceptGaps: boolean): boolean {
    held.sort((a, b) => a.event.seq - b.event.seq);
    while (held.length > 0) {
      const { event, previous } = held[0]!;
      if (event.seq > cursor) {
        if (previous > cursor && !acceptGaps) return false;
        deliver(event);
      }
      held.shift();
    }
    return true;
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
          let foundNothing = false;
          if (readAgain) {
            readAgain = false;
            const missed = (await readFrom(log, filter, cursor + 1)).filter((e) => e.seq > cursor);
            if (closed) return;
            for (const event of missed) deliver(event);
            foundNothing = missed.length === 0;
          }
          // A predecessor that a fresh read does not find was discarded by the limits.
          if (!readAgain && drain(foundNothing)) return;
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
          cursor = (await lastStored(log, filter))?.seq ?? 0;
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
