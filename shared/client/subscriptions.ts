import type { ClientFrame } from "../protocol/client-frames.js";
import type { EventFrame, ServerFrame, SnapshotFrame, SubscribedFrame } from "../protocol/server-frames.js";
import { BoundedQueue } from "./bounded-queue.js";
import { ClientClosedError, ProtocolError } from "./errors.js";
import { type ChannelPosition, clientFrames } from "./frames.js";
import { newId } from "./ids.js";

/** What a subscription yields: a live `event`, or a `snapshot` (first, or when history was lost). */
export type ChannelMessage = EventFrame | SnapshotFrame;

export type { ChannelPosition };

/**
 * One channel as an async iterator that survives reconnects: after a new socket the channel is
 * subscribed again with `since` = the last position received, so the missed events come with no
 * gap, and any overlap with what was already received is dropped, so none comes twice. When the
 * history is gone the server sends a `snapshot` (`recovered:false`), yielded like any message.
 */
export interface Subscription extends AsyncIterableIterator<ChannelMessage> {
  readonly channel: string;
  /** The position of the last message this iterator yielded. */
  readonly position: ChannelPosition | undefined;
  /** Stops following the channel (the iterator ends); the same as `break` in a `for await`. */
  close(): void;
}

interface ChannelEntry {
  /** The last position received on the channel, whatever reader it went to. */
  position: ChannelPosition | undefined;
  readers: Set<ChannelReader>;
}

class ChannelReader implements Subscription {
  #position: ChannelPosition | undefined;
  readonly queue: BoundedQueue<ChannelMessage>;

  constructor(
    readonly channel: string,
    capacity: number,
    onStop: (reader: ChannelReader) => void,
  ) {
    this.queue = new BoundedQueue(capacity, () => onStop(this));
  }

  get position() {
    return this.#position;
  }

  async next(): Promise<IteratorResult<ChannelMessage>> {
    const result = await this.queue.next();
    if (!result.done) this.#position = { seq: result.value.seq, epoch: result.value.epoch };
    return result;
  }

  return() {
    return this.queue.return();
  }

  close() {
    void this.queue.return();
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** How long to wait before asking again for a channel refused as `retryable` (`unavailable`). */
const retryMs = 500;

/**
 * The channels a client follows (docs/protocol.md "Channels"): their readers, their positions,
 * and the `subscribe` frames awaiting an answer.
 */
export function createSubscriptions(send: (frame: ClientFrame) => boolean, capacity: number) {
  const channels = new Map<string, ChannelEntry>();
  /** `subscribe` frames awaiting `subscribed`, by id; `unsubscribe` ids awaiting `unsubscribed`. */
  const asked = new Map<string, string[]>();
  const leaving = new Set<string>();
  const retryTimers = new Set<ReturnType<typeof setTimeout>>();

  function ask(names: string[]) {
    for (let i = 0; i < names.length; i += 100) {
      const batch = names.slice(i, i + 100);
      const since: Record<string, ChannelPosition> = {};
      for (const name of batch) {
        const at = channels.get(name)?.position;
        if (at !== undefined) since[name] = at;
      }
      const id = newId("sub");
      if (send(clientFrames.subscribe(id, batch, since))) asked.set(id, batch);
      // Offline: `welcomed` asks for every channel again.
    }
  }

  function retryLater(names: string[], delayMs = retryMs) {
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      ask(names.filter((name) => channels.has(name)));
    }, delayMs);
    retryTimers.add(timer);
  }

  function refuse(name: string, error: ProtocolError) {
    const entry = channels.get(name);
    channels.delete(name);
    for (const reader of entry?.readers ?? []) reader.queue.end(error);
  }

  function answered(frame: SubscribedFrame) {
    asked.delete(frame.id);
    const retry: string[] = [];
    for (const rejection of frame.rejected ?? []) {
      if (rejection.retryable) retry.push(rejection.channel);
      else refuse(rejection.channel, new ProtocolError(rejection));
    }
    if (retry.length > 0) retryLater(retry);
  }

  /** An `error` answering a `subscribe`: the whole frame was refused. */
  function refused(names: string[], error: ProtocolError) {
    if (error.retryable || error.code === "rate_limited") return retryLater(names, error.retryAfterMs);
    // A frame of several channels that none could join: ask for each alone to learn which failed.
    if (names.length > 1) for (const name of names) ask([name]);
    else refuse(names[0]!, error);
  }

  function stop(reader: ChannelReader) {
    const entry = channels.get(reader.channel);
    if (entry === undefined || !entry.readers.delete(reader) || entry.readers.size > 0) return;
    channels.delete(reader.channel);
    const id = newId("unsub");
    if (send(clientFrames.unsubscribe(id, [reader.channel]))) leaving.add(id);
  }

  function deliver(frame: ChannelMessage) {
    const entry = channels.get(frame.channel);
    if (entry === undefined) return;
    const at = entry.position;
    // A replay after `since` may overlap what the old socket delivered: seen already, dropped.
    if (frame.type === "event" && at !== undefined && at.epoch === frame.epoch && frame.seq <= at.seq) return;
    entry.position = { seq: frame.seq, epoch: frame.epoch };
    for (const reader of entry.readers) reader.queue.push(frame);
  }

  return {
    subscribe(channel: string, since?: ChannelPosition): Subscription {
      const reader = new ChannelReader(channel, capacity, stop);
      const entry = channels.get(channel);
      if (entry !== undefined) {
        entry.readers.add(reader);
        return reader;
      }
      channels.set(channel, { position: since, readers: new Set([reader]) });
      ask([channel]);
      return reader;
    },

    /** A new socket is welcomed: every channel is asked for again, from where it was. */
    welcomed() {
      asked.clear();
      leaving.clear();
      if (channels.size > 0) ask([...channels.keys()]);
    },

    /** Takes the frames that are the subscriptions' own; false for any other. */
    receive(frame: ServerFrame): boolean {
      if (frame.type === "event" || frame.type === "snapshot") {
        deliver(frame);
        return true;
      }
      if (frame.type === "subscribed" && asked.has(frame.id)) {
        answered(frame);
        return true;
      }
      if (frame.type === "unsubscribed" && leaving.delete(frame.id)) return true;
      if (frame.type === "error" && frame.id !== undefined) {
        const names = asked.get(frame.id);
        if (names === undefined) return frame.id.startsWith("sub-") || leaving.delete(frame.id);
        asked.delete(frame.id);
        refused(names, new ProtocolError(frame));
        return true;
      }
      return false;
    },

    /** Ends every reader: normally when the program closed the client, with the error otherwise. */
    closeAll(error?: Error) {
      for (const timer of retryTimers) clearTimeout(timer);
      for (const entry of channels.values()) {
        for (const reader of entry.readers) reader.queue.end(error && new ClientClosedError(error));
      }
      channels.clear();
    },
  };
}
