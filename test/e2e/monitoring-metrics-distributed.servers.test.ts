import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createDeployment, type Deployment, type ServiceName } from "../support/deployment.js";
import { parseExposition } from "../support/metric-exposition.js";
import {
  assertEveryMetricExists,
  causeTraffic,
  missingBucketBounds,
  scrape,
} from "../support/monitoring-check.js";
import { freePort } from "../support/service-process.js";

/**
 * The dashboard/rule cross-check, distributed: a gateway, an agent worker, the exchange and a
 * market feed as separate processes on the real NATS and PostgreSQL, a little of every kind of
 * traffic, then every process's `/metrics`. Fails naming each metric a rule in
 * infra/prometheus/rules or a panel in infra/grafana/dashboards uses that no process exposes.
 */
let deployment: Deployment;
const targets: { process: string; url: string }[] = [];
let traffic: { close(): void } | undefined;

before(async () => {
  deployment = createDeployment({ OFFLINE_TOKEN_DELAY_MS: "1" }, { database: true, readyTimeoutMs: 40_000 });
  const services: ServiceName[] = ["exchange", "market-feed", "agent-worker", "gateway"];
  let gatewayBase = "";
  for (const name of services) {
    const metricsPort = await freePort();
    const service = await deployment.start(name, { METRICS_PORT: String(metricsPort) });
    targets.push({ process: name, url: `http://127.0.0.1:${metricsPort}/metrics` });
    if (name === "gateway") gatewayBase = `http://127.0.0.1:${service.port}`;
  }
  traffic = await causeTraffic(gatewayBase);
});

after(async () => {
  traffic?.close();
  await deployment?.stop();
});

test("every metric the alert rules and the dashboards use is exposed by a running deployment", async () => {
  await assertEveryMetricExists(targets, {
    withoutSeries: {
      // Per the metric contract, reported only for streams that have a byte limit; no stream
      // this platform creates has one (the queues are bounded by max_msgs), but an operator may
      // set one, and the JetStream storage alerts then watch it.
      jetstream_stream_max_bytes: "no stream here has max_bytes",
    },
  });
});

test("the histograms the latency alerts read have a bucket bound at their threshold", async () => {
  const scrapes = await Promise.all(targets.map((t) => scrape(t.process, t.url)));
  assert.deepEqual(missingBucketBounds(scrapes), []);
});

test("every series carries the `service` label the rules group by, naming its process's service", async () => {
  const wrong: string[] = [];
  for (const target of targets) {
    const res = await fetch(target.url);
    if (!res.ok) {
      wrong.push(`${target.process}: GET ${target.url} answered ${res.status}`);
      continue;
    }
    const names = new Set(
      parseExposition(await res.text())
        .samples.filter((s) => s.labels.service !== target.process)
        .map((s) => s.name),
    );
    if (names.size > 0)
      wrong.push(`${target.process}: no service="${target.process}" on ${[...names].join(", ")}`);
  }
  assert.deepEqual(wrong, []);
});
