import type { TextFrame } from "../session/socket-like.js";
import { conflatedText } from "./channels.js";
import type { LiveMetrics } from "./live-metrics.js";

/** What the outbox needs of a session's socket. */
export interface OutboxSocket {
  readonly isClosed: boolean;
  /** Bytes accepted by the socket but not yet handed to the network. */
  readonly bufferedAmount: number;
  /**
   * Writes a frame already serialised, without checking the socket's backlog: the outbox has
   * just read `bufferedAmount` itself (one read per live message).
   */
  writeText(text: TextFrame): void;
  /** Ends the session as a slow consumer: `error` `slow_consumer`, then close 4008. */
  closeSlow(): void;
}

export interface OutboxLimits {
  /** Unsent bytes above which market events wait (and are conflated) instead of being sent. */
  conflateAboveBytes: number;
  /** Unsent bytes above which an event that must not be dropped closes the socket (4008). */
  slowConsumerBytes: number;
  /** How often a socket holding conflated events is checked for room. */
  drainPollMs: number;
}

/**
 * A socket's live-event queue (docs/protocol.md "slow_consumer", "conflated"). Events that must not
 * be dropped go straight to the socket until it holds `slowConsumerBytes` unsent, then the socket
 * is closed rather than buffering without end. Market events (`market.*`, `prices`) go straight
 * while the socket keeps up; past `conflateAboveBytes` they wait, one per key (channel and
 * market), a newer one replacing the waiting one. Waiting events leave in the order of their
 * latest update, so seq still increases per channel, and one that replaced another is marked
 * `"conflated":true`. The queue holds at most one event per market of the subscribed channels.
 */
export interface Outbox {
  send(text: TextFrame): void;
  sendConflatable(key: string, text: TextFrame): void;
  /** Drops the waiting events of `channel` (unsubscribed, or subscribed afresh). */
  forget(channel: string): void;
  close(): void;
}

/** Conflation keys are `<channel>\n<topic>`: newline cannot occur in either. */
export function conflationKey(channel: string, topic: string): string {
  return `${channel}\n${topic}`;
}

export function createOutbox(socket: OutboxSocket, limits: OutboxLimits, metrics: LiveMetrics): Outbox {
  return new SocketOutbox(socket, limits, metrics);
}

// A class, not a closure per socket: its methods exist once for every socket of the process.
class SocketOutbox implements Outbox {
  /** Created when the first event has to wait: most sockets keep up and never need it. */
  #waiting: Map<string, { text: TextFrame; replaced: boolean }> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly limits: OutboxLimits,
    private readonly metrics: LiveMetrics,
  ) {}

  send(text: TextFrame): void {
    const { socket } = this;
    if (socket.isClosed) return;
    if (socket.bufferedAmount > this.limits.slowConsumerBytes) {
      this.metrics.slowConsumers.inc();
      socket.closeSlow();
      return;
    }
    socket.writeText(text);
  }

  sendConflatable(key: string, text: TextFrame): void {
    const { socket } = this;
    if (socket.isClosed) return;
    if (
      (this.#waiting === undefined || this.#waiting.size === 0) &&
      socket.bufferedAmount <= this.limits.conflateAboveBytes
    ) {
      socket.writeText(text);
      return;
    }
    this.#waiting ??= new Map();
    const previous = this.#waiting.get(key);
    if (previous !== undefined) {
      this.metrics.conflated.inc();
      this.#waiting.delete(key);
    }
    this.#waiting.set(key, { text, replaced: previous !== undefined });
    this.#schedule();
  }

  forget(channel: string): void {
    const prefix = `${channel}\n`;
    if (this.#waiting === undefined) return;
    for (const key of this.#waiting.keys()) if (key.startsWith(prefix)) this.#waiting.delete(key);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting = undefined;
  }

  // The socket interface has no drain event, so a congested socket is polled; only sockets
  // holding waiting events have a timer.
  #schedule() {
    this.#timer ??= setTimeout(drainOutbox, this.limits.drainPollMs, this);
  }

  drain() {
    this.#timer = undefined;
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    if (this.socket.isClosed) {
      this.#waiting = undefined;
      return;
    }
    for (const [key, entry] of waiting) {
      if (this.socket.bufferedAmount > this.limits.conflateAboveBytes) break;
      waiting.delete(key);
      this.socket.writeText(entry.replaced ? conflatedText(entry.text) : entry.text);
    }
    if (waiting.size > 0) this.#schedule();
  }
}

function drainOutbox(outbox: SocketOutbox) {
  outbox.drain();
}
