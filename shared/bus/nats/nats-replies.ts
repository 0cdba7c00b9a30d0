import { createInbox, headers, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";

/** A reply that never comes (a lost message, a server gone) fails after this long unless told. */
export const defaultReplyTimeoutMs = 5000;

/** How often waiting calls are checked for their timeout: a call fails up to this much late. */
const sweepMs = 100;

/**
 * Requests over one wildcard inbox per connection, replies matched by token. `nc.request` builds
 * a timer and two error objects with captured stacks for every call; at hundreds of calls a second
 * (run chunks, a trade's live events, trades) that was a twentieth of a process's CPU, so here a
 * call is one map entry and timeouts are found by one sweep.
 *
 * Contract: a call resolves with the reply or rejects with `unavailable` (no reply within its
 * timeout, the connection dropped while waiting or is down when called, or nothing serves the
 * subject). A rejection does
 * not say the message was lost: it may have been handled or stored. Messages of one connection
 * reach the server in call order.
 */
export interface NatsReplies {
  /** Publishes `data` to `subject` and resolves with the reply. */
  request(subject: string, data: string, options?: ReplyRequestOptions): Promise<Msg>;
  /**
   * Publishes into a stream: resolves with the stored sequence, rejects with the stream's error.
   * Given `msgID`, JetStream drops a repeat of it within the stream's duplicate window.
   */
  publishStored(
    subject: string,
    data: string,
    options?: { msgID?: string; headers?: MsgHdrs },
  ): Promise<PubAck>;
  close(): void;
}

export interface ReplyRequestOptions {
  headers?: MsgHdrs;
  timeoutMs?: number;
}

export interface PubAck {
  seq: number;
  duplicate: boolean;
}

/** A JetStream API error in a publish reply (`err_code`, e.g. 10077 when a `discard: new` stream is full). */
export class StreamPublishError extends Error {
  constructor(
    readonly errCode: number,
    description: string,
  ) {
    super(description);
  }
}

/**
 * `what` names the bus in errors (`${what} unavailable`); `closedMessage` is the error of calls
 * still waiting when `close` is called.
 */
export function createNatsReplies(
  nc: NatsConnection,
  options: { what: string; closedMessage: string },
): NatsReplies {
  const prefix = createInbox();
  const pending = new Map<number, Waiter>();
  // Calls by timeout: within one timeout, insertion order is deadline order, so a sweep stops at
  // the first call of each that is not due.
  const byTimeout = new Map<number, Map<number, Waiter>>();
  let next = 0;

  const settle = (token: number, waiter: Waiter) => {
    pending.delete(token);
    waiter.queue.delete(token);
  };

  const failAll = (message: string) => {
    for (const waiter of pending.values()) waiter.reject(new AppError("unavailable", message));
    pending.clear();
    for (const queue of byTimeout.values()) queue.clear();
  };

  const sub = nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err !== null) return;
      const token = Number(msg.subject.slice(prefix.length + 1));
      const waiter = pending.get(token);
      if (waiter === undefined) return;
      settle(token, waiter);
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        waiter.reject(new AppError("unavailable", `nothing serves ${waiter.subject}`));
      } else waiter.resolve(msg);
    },
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const queue of byTimeout.values()) {
      for (const [token, waiter] of queue) {
        if (waiter.deadline > now) break;
        settle(token, waiter);
        waiter.reject(new AppError("unavailable", `no reply from ${waiter.subject}`));
      }
    }
  }, sweepMs);
  sweep.unref();

  // A reply lost with the connection never comes; and a message sent after the reconnect must not
  // be taken as following one that may have been lost (a gap in a run's output).
  let closed = false;
  // While disconnected nats.js buffers publishes and may never deliver them: a call then fails at
  // once, so its caller retries after the reconnect instead of waiting out the timeout.
  let disconnected = false;
  void (async () => {
    for await (const status of nc.status()) {
      // After close the loop ends at the next event, or with the connection.
      if (closed) break;
      if (status.type === "disconnect") {
        disconnected = true;
        failAll("NATS connection lost");
      } else if (status.type === "reconnect") disconnected = false;
    }
  })();

  const request: NatsReplies["request"] = (subject, data, requestOptions = {}) =>
    new Promise<Msg>((resolve, reject) => {
      // Nothing would match a reply or time the call out any more.
      if (closed) return reject(new AppError("unavailable", options.closedMessage));
      if (disconnected)
        return reject(new AppError("unavailable", `${options.what} unavailable: NATS connection lost`));
      const token = next++;
      const timeoutMs = requestOptions.timeoutMs ?? defaultReplyTimeoutMs;
      let queue = byTimeout.get(timeoutMs);
      if (queue === undefined) {
        queue = new Map();
        byTimeout.set(timeoutMs, queue);
      }
      const waiter: Waiter = { subject, resolve, reject, deadline: Date.now() + timeoutMs, queue };
      pending.set(token, waiter);
      queue.set(token, waiter);
      try {
        nc.publish(subject, data, {
          reply: `${prefix}.${token}`,
          ...(requestOptions.headers === undefined ? {} : { headers: requestOptions.headers }),
        });
      } catch (err) {
        settle(token, waiter);
        reject(new AppError("unavailable", `${options.what} unavailable`, { cause: err }));
      }
    });

  return {
    request,
    async publishStored(subject, data, { msgID, headers: given } = {}) {
      let h = given;
      if (msgID !== undefined) {
        h ??= headers();
        h.set("Nats-Msg-Id", msgID);
      }
      const reply = await request(subject, data, h === undefined ? {} : { headers: h });
      const ack = reply.json<JsPubAck>();
      if (ack.error !== undefined) throw new StreamPublishError(ack.error.err_code, ack.error.description);
      return { seq: ack.seq, duplicate: ack.duplicate === true };
    },
    close() {
      closed = true;
      clearInterval(sweep);
      sub.unsubscribe();
      failAll(options.closedMessage);
    },
  };
}

interface Waiter {
  subject: string;
  resolve(msg: Msg): void;
  reject(err: Error): void;
  deadline: number;
  queue: Map<number, Waiter>;
}

interface JsPubAck {
  seq: number;
  duplicate?: boolean;
  error?: { code: number; err_code: number; description: string };
}
