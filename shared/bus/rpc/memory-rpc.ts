import { AppError, toAppError } from "../../errors.js";
import { rpcCall } from "../../telemetry/attributes.js";
import { SpanKind, traced, traceHeaders } from "../../telemetry/spans.js";
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
 * The request/reply port in one process. Payloads and replies go through JSON as on the wire, so
 * a handler never shares an object with its caller and errors arrive rebuilt from data. Within a
 * queue group handlers take turns; with several groups on a subject the first group answers.
 * Every `serve` shares `limits` (rpc-shedding.ts): past them a request is answered `overloaded`.
 */
export function createMemoryRpc(options: { limits?: RpcLimits } = {}): Rpc {
  const subjects = new Map<string, Map<string, Serving[]>>();
  const stops = new Set<() => Promise<void>>();
  const gate = createRequestGate(options.limits ?? defaultRpcLimits);

  function pick(subject: string): Serving | undefined {
    for (const group of subjects.get(subject)?.values() ?? []) {
      const serving = group.shift();
      if (serving !== undefined) {
        group.push(serving);
        return serving;
      }
    }
    return undefined;
  }

  return {
    async request<Reply>(
      subject: string,
      payload: unknown,
      options: { timeoutMs?: number; headers?: Record<string, string> } = {},
    ) {
      const serving = pick(subject);
      if (serving === undefined) throw new AppError("unavailable", `no service answers ${subject}`);
      return traced(subject, { kind: SpanKind.CLIENT, attributes: rpcCall(subject) }, () =>
        call<Reply>(serving, subject, payload, options),
      );
    },

    serve(subject, queue, handler) {
      const inFlight = new Set<Promise<void>>();
      const serving: Serving = {
        handle(payload, headers) {
          // Never settles for a request dropped past its deadline: its caller has timed out.
          return new Promise<string>((resolve) => {
            const handling = gate.admit(
              deadlineOf(headers, performance.now()),
              async () =>
                resolve(await serverSpan(subject, headers, () => answer(handler, payload, headers))),
              () => resolve(JSON.stringify({ ok: false, error: overloaded().toData() } satisfies RpcReply)),
            );
            inFlight.add(handling);
            void handling.finally(() => inFlight.delete(handling));
          });
        },
      };
      const groups = subjects.get(subject) ?? new Map<string, Serving[]>();
      subjects.set(subject, groups);
      const group = groups.get(queue) ?? [];
      groups.set(queue, group);
      group.push(serving);
      const stop = async () => {
        stops.delete(stop);
        const index = group.indexOf(serving);
        if (index >= 0) group.splice(index, 1);
        if (group.length === 0) groups.delete(queue);
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

/** One request to `serving`, as a NATS request would travel: JSON both ways, headers beside. */
async function call<Reply>(
  serving: Serving,
  subject: string,
  payload: unknown,
  options: { timeoutMs?: number; headers?: Record<string, string> },
): Promise<Reply> {
  const wirePayload: unknown = JSON.parse(JSON.stringify(payload ?? null));
  const timeoutMs = options.timeoutMs ?? defaultRpcTimeoutMs;
  const headers = { ...options.headers, ...traceHeaders(), [timeoutHeader]: String(timeoutMs) };
  const reply = serving.handle(wirePayload, headers);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError("unavailable", `${subject} did not answer in time`)),
      timeoutMs,
    );
  });
  try {
    const wire = JSON.parse(await Promise.race([reply, timeout])) as RpcReply;
    if (!wire.ok) throw AppError.from(wire.error);
    return wire.data as Reply;
  } finally {
    clearTimeout(timer);
  }
}

interface Serving {
  /** The JSON text of the `RpcReply`. */
  handle(payload: unknown, headers: Record<string, string>): Promise<string>;
}

async function answer(
  handler: RpcHandler,
  payload: unknown,
  headers: Record<string, string>,
): Promise<string> {
  let reply: RpcReply;
  try {
    reply = { ok: true, data: (await handler(payload, headers)) ?? null };
  } catch (err) {
    reply = { ok: false, error: toAppError(err).toData() };
  }
  return JSON.stringify(reply);
}
