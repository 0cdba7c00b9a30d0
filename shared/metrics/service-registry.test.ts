import assert from "node:assert/strict";
import { test } from "node:test";
import { Gauge } from "prom-client";
import { sampleValue } from "./prometheus-text.js";
import { createServiceMetrics } from "./service-metrics.js";
import { combineRegistries, createServiceRegistry } from "./service-registry.js";

test("figures of the same name from several services make one family, each series under its service", async () => {
  const gateway = createServiceMetrics("gateway", { processMetrics: false });
  const exchange = createServiceMetrics("exchange", { processMetrics: false });
  gateway.errors.inc({ code: "rate_limited", transport: "ws" });
  exchange.errors.inc({ code: "insufficient_funds", transport: "nats" }, 2);
  exchange.trackDependency("postgres", async () => true);
  exchange.trackDependency("redis", () => {
    throw new Error("no answer");
  });

  const text = await combineRegistries([
    createServiceRegistry("embedded"),
    gateway.registry,
    exchange.registry,
  ]).metrics();
  assert.equal(text.match(/^# TYPE errors_total counter$/gm)?.length, 1);
  assert.equal(
    sampleValue(text, "errors_total", { service: "gateway", code: "rate_limited", transport: "ws" }),
    1,
  );
  assert.equal(sampleValue(text, "errors_total", { service: "exchange", code: "insufficient_funds" }), 2);
  assert.equal(sampleValue(text, "dependency_up", { service: "exchange", dependency: "postgres" }), 1);
  assert.equal(
    sampleValue(text, "dependency_up", { service: "exchange", dependency: "redis" }),
    0,
    "a probe that throws is down",
  );
  assert.equal(text.match(/^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/gm)?.length, 1);
  assert.ok(sampleValue(text, "process_start_time_seconds", { service: "embedded" }) !== undefined);
});

test("a name registered as two types is refused rather than served wrong", async () => {
  const gateway = createServiceRegistry("gateway", { processMetrics: false });
  const exchange = createServiceMetrics("exchange", { processMetrics: false });
  new Gauge({ name: "errors_total", help: "not a counter", registers: [gateway] });
  await assert.rejects(
    combineRegistries([gateway, exchange.registry]).metrics(),
    /errors_total is a gauge and a counter/,
  );
});
