import { type Msg, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { AppError, toAppError } from "../../errors.js";
import { rpcCall } from "../../telemetry/attributes.js";
import { SpanKind, traced, tracingOn } from "../../telemetry/spans.js";
import { createNatsReplies } from "../nats/nats-replies.js";
import { withTraceHeaders } from "../nats/nats-trace.js";
import type { Rpc, RpcHandler, RpcReply } from "./rpc.js";
import {
  createRequestGate,
  deadlineOf,
  defaultRpcLimits,
  defaultRpcTimeoutMs,
  overloaded,
  type RpcLimits,
  timeoutHeader,
} from "./rpc-shedding.js";
import { serverSpan } from "./rpc-spans.js";

/**
 * The request/reply port on core NATS: `request` is a NATS request on `${subjectPrefix}${subject}`,
 * `serve` a queue-group subscription, replies are `RpcReply` JSON. No responders and timeouts
 * both become `unavailable`; the connection stays the caller's. Requests share one reply inbox
 * (nats-replies.ts: no timer or stack-captured errors per trade). Every `serve` of one instance
 * shares `limits` (rpc-shedding.ts): past them a request is answered `overloaded`. While the
 * connection is down (NATS gone, reconnecting) a request answers `unavailable` at once
 * (nats-replies.ts) instead of waiting out its timeout in the client's buffer: a trade then says
 * so in milliseconds, and is retried with its idempotency key once NATS is back.
 */
export function createNatsRpc(
  nc: NatsConnection,
  options: { subjectPrefix: string; limits?: RpcLimits },
): Rpc {
  const stops = new Set<() => Promise<void>>();
  const gate = createRequestGate(options.limits ?? defaultRpcLimits);
  const replies = createNatsReplies(nc, { what: "bus", closedMessage: "request channel is closed" });

  return {
    async request<Reply>(
      subject: string,
      payload: unknown,
      requestOptions: { timeoutMs?: number; headers?: Record<string, string> } = {},
    ) {
      const fullSubject = options.subjectPrefix + subject;
      const timeoutMs = requestOptions.timeoutMs ?? defaultRpcTimeoutMs;
      const hdrs = natsHeaders();
      for (const [key, value] of Object.entries(requestOptions.headers ?? {})) hdrs.set(key, value);
      hdrs.set(timeoutHeader, String(timeoutMs));
      const call = async () => {
        let msg: Msg;
        try {
          msg = await replies.request(fullSubject, JSON.stringify(payload ?? null), {
            timeoutMs,
            headers: withTraceHeaders(hdrs)!,
          });
        } catch (err) {
          // No responders, a timeout or a lost connection: the caller may retry all of them alike.
          throw new AppError("unavailable", `no answer from ${subject}`, { cause: err });
        }
        const reply = msg.json<RpcReply>();
        if (!reply.ok) throw AppError.from(reply.error);
        return reply.data as Reply;
      };
      // A client span; the server's span is its child through the `traceparent` header.
      return tracingOn()
        ? traced(subject, { kind: SpanKind.CLIENT, attributes: rpcCall(subject) }, call)
        : call();
    },

    serve(subject, queue, handler) {
      const inFlight = new Set<Promise<void>>();
      const sub = nc.subscribe(options.subjectPrefix + subject, {
        queue,
        callback: (err, msg) => {
          if (err !== null) return;
          const headers: Record<string, string> = {};
          for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
          const handling = gate.admit(
            deadlineOf(headers, performance.now()),
            () => serverSpan(subject, headers, () => respond(handler, msg, headers)),
            () => msg.respond(JSON.stringify({ ok: false, error: overloaded().toData() } satisfies RpcReply)),
          );
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
      replies.close();
    },
  };
}

async function respond(handler: RpcHandler, msg: Msg, headers: Record<string, string>): Promise<void> {
  let reply: RpcReply;
  try {
    let payload: unknown;
    try {
      payload = msg.json<unknown>();
    } catch {
      throw new AppError("bad_request", "request payload is not JSON");
    }
    reply = { ok: true, data: (await handler(payload, headers)) ?? null };
  } catch (err) {
    reply = { ok: false, error: toAppError(err).toData() };
  }
  // A requester that gave up has no inbox left: the reply is simply dropped (at most once).
  msg.respond(JSON.stringify(reply));
}
