import type { Rpc } from "../../shared/bus/rpc/rpc.js";
import type { Exchange } from "./exchange-interface.js";
import { type ExchangeMethod, exchangeMethods } from "./schemas.js";

/** Queue group of every exchange process: each request is handled by one of them. */
export const exchangeQueue = "exchange";

export function exchangeSubject(method: ExchangeMethod): string {
  return `exchange.${method}`;
}

/** Answered by every serving exchange without touching the database (gateways' `/readyz`). */
export const exchangePingSubject = "exchange.ping";

/**
 * Serves every method of `exchange` on `exchange.<method>` in the "exchange" queue group, so any
 * number of exchange processes share the requests. Returns a function that stops serving after
 * in-flight requests finish.
 */
export function serveExchange(exchange: Exchange, rpc: Rpc): () => Promise<void> {
  const stops = exchangeMethods.map((method) =>
    rpc.serve(exchangeSubject(method), exchangeQueue, (payload) =>
      (exchange[method] as (input: unknown) => Promise<unknown>)(payload),
    ),
  );
  stops.push(rpc.serve(exchangePingSubject, exchangeQueue, async () => ({ serving: true })));
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

/**
 * The exchange seen from another service (gateway, agent tools): the same typed methods, over
 * `rpc`. Errors arrive as the exchange's AppErrors; `unavailable` when no exchange answers within
 * `timeoutMs` (a trade may still have happened: retry it with the same idempotency key).
 */
export function createExchangeClient(rpc: Rpc, options: { timeoutMs?: number } = {}): Exchange {
  const call =
    <M extends ExchangeMethod>(method: M) =>
    (input: unknown) =>
      rpc.request(
        exchangeSubject(method),
        input,
        options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
      );
  return Object.fromEntries(exchangeMethods.map((m) => [m, call(m)])) as unknown as Exchange;
}

/** Resolves when some exchange process answers on `rpc` within `timeoutMs`; rejects otherwise. */
export async function pingExchange(rpc: Rpc, timeoutMs: number): Promise<void> {
  await rpc.request(exchangePingSubject, {}, { timeoutMs });
}
