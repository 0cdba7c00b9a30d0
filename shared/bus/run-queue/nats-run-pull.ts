import { createInbox, type Msg, type NatsConnection, nanos } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";

/** A pull the server never ends (it lost the request, the connection dropped) is given up this much after it expires. */
const lostPullGraceMs = 2000;

/**
 * Pull requests on one durable pull consumer, at most one at a time, over one inbox subscription
 * that outlives them. `consume()`/`fetch()` of @nats-io/jetstream build a subscription, a status
 * listener and a heartbeat monitor per call; a run queue pulls many times a second per lane.
 *
 * Contract: `pull(batch, expiresMs)` asks the server for up to `batch` messages, passes each to
 * `onMessage(msg, true)` as it arrives (at once: the server delivers stored messages immediately
 * and new ones while the request waits), and resolves with how many came when the server ends the
 * request (batch filled, or `expiresMs` passed). It rejects with `unavailable` when the consumer
 * is missing or the request was lost; the caller rebuilds and pulls again. A message that arrives
 * after its request was given up is passed as `onMessage(msg, false)`: the caller holds no slot
 * for it, and must find one or hand the message back.
 */
export interface ConsumerPuller {
  pull(batch: number, expiresMs: number): Promise<number>;
  close(): void;
}

export function createConsumerPuller(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  onMessage: (msg: Msg, requested: boolean) => void,
): ConsumerPuller {
  const inbox = createInbox();
  const api = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
  // Each request has its own reply subject, so the closing status of a given-up request never
  // ends the next one.
  let serial = 0;
  let current: { subject: string; batch: number; got: number; end(error?: Error): void } | undefined;

  const sub = nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      if (err !== null) {
        current?.end(new AppError("unavailable", "pull subscription failed", { cause: err }));
        return;
      }
      const code = msg.headers?.code ?? 0;
      if (code === 0) {
        // A message comes on its stream subject, so only statuses tell which request they answer.
        if (current === undefined) {
          onMessage(msg, false);
          return;
        }
        current.got += 1;
        onMessage(msg, true);
        if (current.got === current.batch) current.end();
        return;
      }
      // A status: 408 (expired, `Nats-Pending-Messages` left unfilled), 404, or a 409 that ends
      // the request (consumer deleted, too many waiting pulls); 503 when there is no consumer.
      if (current === undefined || msg.subject !== current.subject) return;
      if (code === 503 || msg.headers?.description.toLowerCase().includes("deleted")) {
        current?.end(new AppError("unavailable", `consumer ${consumer} is gone`));
      } else if (code !== 100) current?.end();
    },
  });

  return {
    pull(batch, expiresMs) {
      if (current !== undefined) return Promise.reject(new Error("one pull at a time"));
      return new Promise((resolve, reject) => {
        const lost = setTimeout(
          () => request.end(new AppError("unavailable", "pull request lost")),
          expiresMs + lostPullGraceMs,
        );
        const request = {
          subject: `${inbox}.${serial++}`,
          batch,
          got: 0,
          end(error?: Error) {
            if (current !== request) return;
            current = undefined;
            clearTimeout(lost);
            if (error === undefined) resolve(request.got);
            else reject(error);
          },
        };
        current = request;
        try {
          nc.publish(api, JSON.stringify({ batch, expires: nanos(expiresMs) }), { reply: request.subject });
        } catch (err) {
          request.end(new AppError("unavailable", "agent bus unavailable", { cause: err }));
        }
      });
    },
    close() {
      current?.end(new AppError("unavailable", "puller closed"));
      sub.unsubscribe();
    },
  };
}
