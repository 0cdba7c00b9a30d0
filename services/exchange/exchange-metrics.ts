import { Counter, Histogram, type Registry } from "prom-client";
import { AppError } from "../../shared/errors.js";
import type { Exchange } from "./exchange-interface.js";

/** The exchange's own figures (docs/architecture.md, "Metrics"), on its service registry. */
export interface ExchangeMetrics {
  /** Trades answered, by outcome: `filled` or the refusal's protocol code. */
  readonly trades: Counter<"outcome">;
  /** Seconds from a trade request's arrival to its answer, by outcome. */
  readonly tradeDuration: Histogram<"outcome">;
}

export function createExchangeMetrics(registry: Registry): ExchangeMetrics {
  return {
    trades: new Counter({
      name: "trades_total",
      help: "Trades answered by the exchange, by outcome (filled, or the refusal's error code).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    tradeDuration: new Histogram({
      name: "trade_duration_seconds",
      help: "Seconds from a trade request's arrival at the exchange to its answer, by outcome.",
      labelNames: ["outcome"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/**
 * `exchange` with its answers counted: every method's errors in `errors` (by code, with the
 * transport the requests come by: `nats` for the RPC server, `memory` in embedded mode), and
 * each trade in `trades_total` and `trade_duration_seconds`. Wrapped around the exchange where
 * requests arrive (`serveExchange`'s handler), so the duration is the RPC's from received to
 * answered, the payload's decoding and the reply's encoding aside.
 */
export function instrumentExchange(
  exchange: Exchange,
  deps: { metrics: ExchangeMetrics; errors: Counter<"code" | "transport">; transport: "nats" | "memory" },
): Exchange {
  const { metrics, errors, transport } = deps;
  const codeOf = (err: unknown) => (err instanceof AppError ? err.code : "internal");
  const counted = Object.fromEntries(
    Object.entries(exchange).map(([method, call]) => [
      method,
      async (input: unknown) => {
        try {
          return await (call as (input: unknown) => Promise<unknown>)(input);
        } catch (err) {
          errors.inc({ code: codeOf(err), transport });
          throw err;
        }
      },
    ]),
  ) as unknown as Exchange;
  return {
    ...counted,
    async trade(input) {
      const started = performance.now();
      let outcome = "filled";
      try {
        return await counted.trade(input);
      } catch (err) {
        outcome = codeOf(err);
        throw err;
      } finally {
        metrics.trades.inc({ outcome });
        metrics.tradeDuration.observe({ outcome }, (performance.now() - started) / 1000);
      }
    },
  };
}
