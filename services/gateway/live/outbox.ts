import { conflatedText } from "./channels.js";
import type { LiveMetrics } from "./live-metrics.js";

/** What the outbox needs of a session's socket. */
export interface OutboxSocket {
  readonly isClosed: boolean;
  /** Bytes accepted by the socket but not yet handed to the network. */
  readonly bufferedAmount: number;
  sendText(text: string): void;
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
 * A socket's live-event queue (PROTOCOL.md "slow_consumer", "conflated"). Events that must not
 * be dropped go straight to the socket until it holds `slowConsumerBytes` unsent, then the socket
 * is closed rather than buffering without end. Market events (`market.*`, `prices`) go straight
 * while the socket keeps up; past `conflateAboveBytes` they wait, one per key (channel and
 * market), a newer one replacing the waiting one. Waiting events leave in the order of their
 * latest update, so seq still increases per channel, and one that replaced another is marked
 * `"conflated":true`. The queue holds at most one event per market of the subscribed channels.
 */
export interface Outbox {
  send(text: string): void;
  sendConflatable(key: string, text: string): void;
  /** Drops the waiting events of `channel` (unsubscribed, or subscribed afresh). */
  forget(channel: string): void;
  close(): void;
}

/** Conflation keys are `<channel>\n<topic>`: newline cannot occur in either. */
export function conflationKey(channel: string, topic: string): string {
  return `${channel}\n${topic}`;
}

export function createOutbox(socket: OutboxSocket, limits: OutboxLimits, metrics: LiveMetrics): Outbox {
  const waiting = new Map<string, { text: string; replaced: boolean }>();
  let timer: NodeJS.Timeout | undefined;

  // The socket interface has no drain event, so a congested socket is polled; only sockets
  // holding waiting events have a timer.
  const schedule = () => {
    timer ??= setTimeout(drain, limits.drainPollMs);
  };

  function drain() {
    timer = undefined;
    if (socket.isClosed) {
      waiting.clear();
      return;
    }
    for (const [key, entry] of waiting) {
      if (socket.bufferedAmount > limits.conflateAboveBytes) break;
      waiting.delete(key);
      socket.sendText(entry.replaced ? conflatedText(entry.text) : entry.text);
    }
    if (waiting.size > 0) schedule();
  }

  return {
    send(text) {
      if (socket.isClosed) return;
      if (socket.bufferedAmount > limits.slowConsumerBytes) {
        metrics.slowConsumers.inc();
        socket.closeSlow();
        return;
      }
      socket.sendText(text);
    },
    sendConflatable(key, text) {
      if (socket.isClosed) return;
      if (waiting.size === 0 && socket.bufferedAmount <= limits.conflateAboveBytes) {
        socket.sendText(text);
        return;
      }
      const previous = waiting.get(key);
      if (previous !== undefined) {
        metrics.conflated.inc();
        waiting.delete(key);
      }
      waiting.set(key, { text, replaced: previous !== undefined });
      schedule();
    },
    forget(channel) {
      const prefix = `${channel}\n`;
      for (const key of waiting.keys()) if (key.startsWith(prefix)) waiting.delete(key);
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
      waiting.clear();
    },
  };
}
