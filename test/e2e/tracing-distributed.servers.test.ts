import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestClient } from "../../services/gateway/testing/ws-client.js";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.js";
import { until } from "../support/polling.js";
import { assertTradeTrace, tradeInstruction } from "../support/trace-chain.js";

/**
 * Tracing across processes (docs/architecture.md "Tracing"): a gateway, an agent worker and an
 * exchange on the real NATS server and PostgreSQL, each exporting its spans over OTLP/HTTP to a
 * receiver this test runs. Everything they say about the trace comes from their exports.
 */
let receiver: OtlpReceiver;
let deployment: Deployment;
let gateway: ServiceProcess;
let worker: ServiceProcess;

before(async () => {
  receiver = await startOtlpReceiver();
  deployment = createDeployment(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Every root sampled; batches leave each process within 100 ms.
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OFFLINE_TOKEN_DELAY_MS: "0",
    },
    { database: true },
  );
  [gateway, worker] = await Promise.all([
    deployment.start("gateway"),
    deployment.start("agent-worker"),
    deployment.start("exchange"),
  ]);
});

after(async () => {
  await deployment?.stop();
  await receiver?.close();
});

test("an agent run that places a trade is one trace across gateway, worker and exchange processes", async () => {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "traced-trader", tier: "pro" }),
  });
  const { token } = (await res.json()) as { token: string };
  const client = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, token);
  client.send({ type: "agent.run", id: "t1", agent: "eplTradingAgent", input: tradeInstruction() });
  await client.take((f) => f.type === "agent.done" && f.id === "t1", 20_000);
  assert.ok(
    client.frames.some((f) => f.type === "agent.tool" && f.name === "placeTrade" && f.status === "finished"),
    "the run placed its trade",
  );
  client.close();

  // Each process exports on its own schedule: wait until the whole chain has arrived.
  const services = { gateway: "gateway", worker: "agent-worker", exchange: "exchange", rpc: true };
  let failure: unknown;
  await until(
    () => {
      try {
        assertTradeTrace(receiver.spans, services);
        return true;
      } catch (err) {
        failure = err;
        return false;
      }
    },
    10_000,
    "the whole trace",
  ).catch(() => {
    throw failure;
  });
  const trace = assertTradeTrace(receiver.spans, services);

  // The worker's log lines of the run carry the trace's ids.
  const { traceId } = trace[0]!;
  await worker.waitFor(
    new RegExp(`"trace_id":"${traceId}","span_id":"[0-9a-f]{16}".*"msg":"agent run finished"`),
  );
});
