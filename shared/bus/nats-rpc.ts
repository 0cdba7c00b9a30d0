import { type Msg, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { AppError, toAppError } from "../errors.js";
import type { Rpc, RpcHandler, RpcReply } from "./rpc.js";

const defaultTimeoutMs = 5000;

/**
 * The request/reply port on core NATS: `request` is a NATS request on `${subjectPrefix}${subject}`,
 * `serve` a queue-group subscription, replies are `RpcReply` JSON. No responders and timeouts
 * both become `unavailable`; the connection stays the caller's.
 */
export function createNatsRpc(nc: NatsConnection, options: { subjectPrefix: string }): Rpc {
  const stops = new Set<() => Promise<void>>();

  return {
    async request<Reply>(
      subject: string,
      payload: unknown,
      requestOptions: { timeoutMs?: number; headers?: Record<string, string> } = {},
    ) {
      const fullSubject = options.subjectPrefix + subject;
      let hdrs: ReturnType<typeof natsHeaders> | undefined;
      if (requestOptions.headers !== undefined) {
        hdrs = natsHeaders();
        for (const [key, value] of Object.entries(requestOptions.headers)) hdrs.set(key, value);
      }
      let msg: Msg;
      try {
        msg = await nc.request(fullSubject, JSON.stringify(payload ?? null), {
          timeout: requestOptions.timeoutMs ?? defaultTimeoutMs,
          ...(hdrs === undefined ? {} : { headers: hdrs }),
        });
      } catch (err) {
        // No responders, a timeout or a lost connection: the caller may retry all of them alike.
        throw new AppError("unavailable", `no answer from ${subject}`, { cause: err });
      }
      const reply = msg.json<RpcReply>();
      if (!reply.ok) throw AppError.from(reply.error);
      return reply.data as Reply;
    },

    serve(subject, queue, handler) {
      const inFlight = new Set<Promise<void>>();
      const sub = nc.subscribe(options.subjectPrefix + subject, {
        queue,
        callback: (err, msg) => {
          if (err !== null) return;
          const handling = respond(handler, msg);
          inFlight.add(handling);
          void handling.finally(() => inFlight.delete(handling));
        },
      });
      const stop = async () => {
        stops.delete(stop);
        if (!sub.isClosed()) sub.unsubscribe();
        await Promise.allSettled([...inFlight]);
      };
      stops.add(stop);
      return stop;
    },

    async close() {
      await Promise.all([...stops].map((stop) => stop()));
    },
  };
}

async function respond(handler: RpcHandler, msg: Msg): Promise<void> {
  let reply: RpcReply;
  try {
    let payload: unknown;
    try {
      payload = msg.json<unknown>();
    } catch {
      throw new AppError("bad_request", "request payload is not JSON");
    }
    const headers: Record<string, string> = {};
    for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
    reply = { ok: true, data: (await handler(payload, headers)) ?? null };
  } catch (err) {
    reply = { ok: false, error: toAppError(err).toData() };
  }
  // A requester that gave up has no inbox left: the reply is simply dropped (at most once).
  msg.respond(JSON.stringify(reply));
}
