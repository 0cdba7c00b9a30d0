import { createInbox, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../errors.js";

/** A JetStream reply that never comes (a lost message, a server gone) fails after this long. */
const replyTimeoutMs = 5000;

/**
 * JetStream publishes and acks that need the server's reply, over one wildcard inbox per
 * connection. `nc.request` builds a timer and error objects with captured stacks for every call;
 * at hundreds of chunks a second that was a twentieth of a worker's CPU, so replies are matched
 * here by token and timed out by one sweep.
 *
 * Contract: a call resolves with the server's reply or rejects with `unavailable` (no reply within
 * `replyTimeoutMs`, the connection dropped while waiting, or nothing serves the subject). A
 * rejection does not say the message was lost: it may have been stored. Messages of one
 * connection reach the server in call order.
 */
export interface RunReplies {
  /** Publishes `data` to `subject` and resolves with the reply. */
  request(subject: string, data: string, headers?: Parameters<NatsConnection["publish"]>[2]): Promise<Msg>;
  /** Publishes into a stream: resolves with the stored sequence, rejects with the stream's error. */
  publishStored(subject: string, data: string, expect?: PublishExpectations): Promise<PubAck>;
  close(): void;
}

export interface PublishExpectations {
  /** JetStream drops a repeat of this id within the stream's duplicate window. */
  msgID?: string;
  /** Stored only if the subject's last message has this sequence (0: the subject is empty). */
  lastSubjectSequence?: number;
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

export function createRunReplies(nc: NatsConnection): RunReplies {
  const prefix = createInbox();
  const pending = new Map<number, Waiter>();
  let next = 0;

  const failAll = (message: string) => {
    for (const waiter of pending.values()) waiter.reject(new AppError("unavailable", message));
    pending.clear();
  };

  const sub = nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err !== null) return;
      const token = Number(msg.subject.slice(prefix.length + 1));
      const waiter = pending.get(token);
      if (waiter === undefined) return;
      pending.delete(token);
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        waiter.reject(new AppError("unavailable", `nothing serves ${waiter.subject}`));
      } else waiter.resolve(msg);
    },
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [token, waiter] of pending) {
      // Insertion order is send order: the first one not yet due ends the sweep.
      if (waiter.deadline > now) break;
      pending.delete(token);
      waiter.reject(new AppError("unavailable", `no reply from ${waiter.subject}`));
    }
  }, replyTimeoutMs / 5);
  sweep.unref();

  // A reply lost with the connection never comes; and a message sent after the reconnect must not
  // be taken as following one that may have been lost (a gap in a run's output).
  let closed = false;
  void (async () => {
    for await (const status of nc.status()) {
      // After close the loop ends at the next event, or with the connection.
      if (closed) break;
      if (status.type === "disconnect") failAll("NATS connection lost");
    }
  })();

  const request: RunReplies["request"] = (subject, data, headers) =>
    new Promise<Msg>((resolve, reject) => {
      const token = next++;
      pending.set(token, { subject, resolve, reject, deadline: Date.now() + replyTimeoutMs });
      try {
        nc.publish(subject, data, { ...headers, reply: `${prefix}.${token}` });
      } catch (err) {
        pending.delete(token);
        reject(new AppError("unavailable", "agent bus unavailable", { cause: err }));
      }
    });

  return {
    request,
    async publishStored(subject, data, expect) {
      const reply = await request(
        subject,
        data,
        expect === undefined ? undefined : { headers: expectHeaders(expect) },
      );
      const ack = reply.json<JsPubAck>();
      if (ack.error !== undefined) throw new StreamPublishError(ack.error.err_code, ack.error.description);
      return { seq: ack.seq, duplicate: ack.duplicate === true };
    },
    close() {
      closed = true;
      clearInterval(sweep);
      sub.unsubscribe();
      failAll("run queue is closed");
    },
  };
}

interface Waiter {
  subject: string;
  resolve(msg: Msg): void;
  reject(err: Error): void;
  deadline: number;
}

interface JsPubAck {
  seq: number;
  duplicate?: boolean;
  error?: { code: number; err_code: number; description: string };
}

function expectHeaders(expect: PublishExpectations) {
  const h = headers();
  if (expect.msgID !== undefined) h.set("Nats-Msg-Id", expect.msgID);
  if (expect.lastSubjectSequence !== undefined) {
    h.set("Nats-Expected-Last-Subject-Sequence", String(expect.lastSubjectSequence));
  }
  return h;
}
