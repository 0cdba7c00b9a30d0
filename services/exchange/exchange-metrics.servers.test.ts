import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { AppError } from "../../shared/errors.js";
import { sampleValue } from "../../shared/metrics/prometheus-text.js";
import { createServiceMetrics } from "../../shared/metrics/service-metrics.js";
import { createExchange } from "./exchange.js";
import { createExchangeMetrics, instrumentExchange } from "./exchange-metrics.js";
import { createExchangeClient, serveExchange } from "./rpc.js";
import { createPgliteStore } from "./store/pglite-store.js";
import { exchangeTestConfig } from "./testing/fixtures.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const store = createPgliteStore("memory");
await store.migrate();
const nc = await connectNats({ natsUrl }, `exchange-metrics-${id}`);
const rpc = createNatsRpc(nc, { subjectPrefix: `t${id}.` });
const metrics = createServiceMetrics("exchange", { processMetrics: false });
const exchange = createExchange({ store, config: exchangeTestConfig });
await exchange.openMarkets({});
const stop = serveExchange(
  instrumentExchange(exchange, {
    metrics: createExchangeMetrics(metrics.registry),
    errors: metrics.errors,
    transport: "nats",
  }),
  rpc,
);
const client = createExchangeClient(rpc);
after(async () => {
  await stop();
  await rpc.close();
  await nc.close();
  await store.close();
});

test("a fill and a refusal over the exchange's RPC count in trades_total, trade_duration_seconds and errors_total", async () => {
  const market = (await client.listMarkets({ status: "open" }))[0];
  assert.ok(market);
  const trade = {
    userId: "metrics-user",
    marketId: market.marketId,
    outcome: market.outcomes[0]!,
    side: "buy",
  } as const;
  await client.trade({ ...trade, shares: 2 });
  await assert.rejects(client.trade({ ...trade, shares: 50_000 }), (err: unknown) => {
    assert.ok(err instanceof AppError && err.code === "insufficient_funds", String(err));
    return true;
  });

  const text = await metrics.registry.metrics();
  const at = (name: string, labels: Record<string, string>) =>
    sampleValue(text, name, { service: "exchange", ...labels });
  assert.equal(at("trades_total", { outcome: "filled" }), 1);
  assert.equal(at("trades_total", { outcome: "insufficient_funds" }), 1);
  assert.equal(at("trade_duration_seconds_count", { outcome: "filled" }), 1);
  assert.equal(at("trade_duration_seconds_count", { outcome: "insufficient_funds" }), 1);
  assert.ok((at("trade_duration_seconds_sum", { outcome: "filled" }) ?? 0) > 0);
  assert.equal(at("errors_total", { code: "insufficient_funds", transport: "nats" }), 1);
  assert.equal(at("errors_total", {}), 1, "the fill is no error");
});
