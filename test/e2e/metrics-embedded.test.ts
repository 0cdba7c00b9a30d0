import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { parseSamples, sampleValue } from "../../shared/metrics/prometheus-text.js";

/**
 * Embedded mode serves every service's figures from its one `/metrics`, each labelled with the
 * service that owns it, under the names distributed mode uses (docs/architecture.md, "Metrics").
 */
let platform: Platform;

before(async () => {
  const config = loadConfig(
    {},
    { dataDir: "memory", port: 0, offlineTokenDelayMs: 0, logLevel: "silent", feedEnabled: false },
  );
  platform = await buildPlatform(config, createLogger(config));
});
after(() => platform?.close());

async function trade(token: string, shares: number) {
  const market = (await platform.app.inject({ url: "/api/markets?status=open" })).json().markets[0];
  return platform.app.inject({
    method: "POST",
    url: "/api/trades",
    headers: { authorization: `Bearer ${token}` },
    payload: { marketId: market.marketId, outcome: market.outcomes[0], side: "buy", shares },
  });
}

test("one exposition holds every service's figures, each under its service, every family once", async () => {
  const issued = await platform.app.inject({
    method: "POST",
    url: "/api/auth/dev-token",
    payload: { userId: "metrics-user", tier: "pro" },
  });
  const { token } = issued.json() as { token: string };
  assert.equal((await trade(token, 2)).statusCode, 201);
  assert.equal((await trade(token, 50_000)).statusCode, 402);

  const text = await platform.scrape.metrics();
  const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  assert.equal(new Set(families).size, families.length, "no metric family twice");
  assert.equal(sampleValue(text, "trades_total", { service: "exchange", outcome: "filled" }), 1);
  assert.equal(sampleValue(text, "trades_total", { service: "exchange", outcome: "insufficient_funds" }), 1);
  assert.equal(
    sampleValue(text, "errors_total", {
      service: "exchange",
      code: "insufficient_funds",
      transport: "memory",
    }),
    1,
  );
  assert.ok((sampleValue(text, "requests_total", { service: "gateway", route: "/api/trades" }) ?? 0) >= 2);
  assert.equal(
    sampleValue(text, "errors_total", { service: "gateway", code: "insufficient_funds", transport: "http" }),
    1,
    "the gateway's answer of the refusal counts under the gateway",
  );
  assert.equal(sampleValue(text, "agent_utilization", { service: "agent-worker", agent: "all" }), 0);
  assert.equal(
    sampleValue(text, "queue_length", { service: "agent-worker", agent: "walletAgent", tier: "pro" }),
    0,
  );
  assert.ok(sampleValue(text, "nodejs_eventloop_lag_p99_seconds", { service: "embedded" }) !== undefined);
  const services = new Set(parseSamples(text).map((s) => s.labels.service));
  assert.deepEqual([...services].sort(), ["agent-worker", "embedded", "exchange", "gateway"]);
});
