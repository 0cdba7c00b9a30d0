import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { TestClient } from "../../services/gateway/testing/ws-client.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { startTracing, type Tracing } from "../../shared/telemetry/tracing.js";
import { until } from "../support/polling.js";
import { assertTradeTrace, type ChainSpan, tradeInstruction } from "../support/trace-chain.js";

/**
 * Tracing in embedded mode (docs/architecture.md "Tracing"): one process, the in-process adapters
 * carrying the trace context where NATS headers would, spans kept by an in-memory exporter.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let platform: Platform;
let base: string;

before(async () => {
  tracing = startTracing({ service: "embedded", env: {}, exporter });
  const config = loadConfig(
    {},
    { dataDir: "memory", port: 0, offlineTokenDelayMs: 0, logLevel: "silent", feedEnabled: false },
  );
  platform = await buildPlatform(config, createLogger(config));
  base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await platform?.close();
  await tracing?.shutdown();
});

function chainSpan(span: ReadableSpan): ChainSpan {
  const out: ChainSpan = {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
    // The API numbers kinds from 0 (internal), OTLP from 1.
    kind: span.kind + 1,
    service: String(span.resource.attributes["service.name"]),
    attributes: { ...span.attributes },
  };
  if (span.parentSpanContext !== undefined) out.parentSpanId = span.parentSpanContext.spanId;
  return out;
}

test("an agent run that places a trade is one trace: gateway → run queue → worker → tool → exchange → PostgreSQL → LIVE → fan-out", async () => {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "traced-trader", tier: "pro" }),
  });
  const { token } = (await res.json()) as { token: string };
  const client = await TestClient.connect(`${base.replace("http", "ws")}/ws`, token);
  client.send({
    type: "agent.run",
    id: "t1",
    agent: "eplTradingAgent",
    input: tradeInstruction(),
  });
  await client.take((f) => f.type === "agent.done" && f.id === "t1", 15_000);
  assert.ok(
    client.frames.some((f) => f.type === "agent.tool" && f.name === "placeTrade" && f.status === "finished"),
    "the run placed its trade",
  );
  client.close();
  // The frame's span ends once the run's last frame is relayed.
  await until(
    () => exporter.getFinishedSpans().some((s) => s.name === "ws agent.run"),
    5_000,
    "the ws agent.run span",
  );
  const spans = exporter.getFinishedSpans().map(chainSpan);
  assertTradeTrace(spans, { gateway: "embedded", worker: "embedded", exchange: "embedded", rpc: false });
});

test("HTTP requests are spans of Fastify's instrumentation, health probes are not", async () => {
  exporter.reset();
  // A probe first: it is answered, and leaves no span, before the request below starts.
  await (await fetch(`${base}/healthz`)).arrayBuffer();
  const res = await fetch(`${base}/api/markets?status=open`, { headers: { accept: "application/json" } });
  await res.arrayBuffer();
  await until(() => exporter.getFinishedSpans().some((s) => s.name === "request"), 5_000, "the request span");
  const request = exporter.getFinishedSpans().find((s) => s.name === "request")!;
  assert.equal(request.attributes["http.request.method"], "GET");
  assert.equal(request.parentSpanContext, undefined, "a request without traceparent starts a trace");
  assert.deepEqual(
    exporter.getFinishedSpans().filter((s) => s.attributes["url.path"] === "/healthz"),
    [],
    "health probes are not traced",
  );
});
