import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { propagation, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-node";
import { until } from "../../test/support/polling.js";
import type { LiveEvent } from "../bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../bus/live-stream/memory-live-stream.js";
import { withTraceHeaders } from "../bus/nats/nats-trace.js";
import { createMemoryRpc } from "../bus/rpc/memory-rpc.js";
import { defaultRpcTimeoutMs, timeoutHeader } from "../bus/rpc/rpc-shedding.js";
import { createMemoryRunQueue } from "../bus/run-queue/memory-run-queue.js";
import type { AgentRunRequest, RunJob } from "../bus/run-queue/run-queue.js";
import { traced, traceHeaders, traceIds, tracingOn } from "./spans.js";
import { startTracing, tracingWanted } from "./tracing.js";

const request: AgentRunRequest = {
  v: 1,
  requestId: "r-1",
  clientId: "c-1",
  userId: "u-1",
  tier: "pro",
  agent: "supportAgent",
  input: "hello",
  submittedAt: 1,
};

/** What each port hands across when asked from inside a span named `outer`. */
async function crossPorts() {
  const rpc = createMemoryRpc();
  let rpcHeaders: Record<string, string> | undefined;
  rpc.serve("echo", "q", async (_payload, headers) => {
    rpcHeaders = headers;
    return null;
  });
  const queue = createMemoryRunQueue();
  let job: RunJob | undefined;
  const consumer = queue.consume(
    async (delivered) => {
      job = delivered;
      await delivered.ack();
    },
    { concurrency: 1 },
  );
  const live = createMemoryLiveStream();
  const events: LiveEvent[] = [];
  live.subscribe("market.*", (event) => events.push(event));
  const natsHeadersOut = natsHeaders();
  natsHeadersOut.set("x-kept", "1");
  let logFields: Record<string, unknown> = {};
  await traced("outer", {}, async () => {
    await rpc.request("echo", { a: 1 }, { headers: { "x-caller": "1" } });
    await queue.submit({ ...request });
    await live.publish("market.m1", { p: 1 });
    withTraceHeaders(natsHeadersOut);
    logFields = traceIds();
  });
  await until(() => job !== undefined, 5_000, "the submitted job");
  await consumer.stop();
  await Promise.all([rpc.close(), queue.close(), live.close()]);
  return {
    rpcHeaders: rpcHeaders!,
    job: job!,
    event: events[0]!,
    natsHeaderKeys: natsHeadersOut.keys().sort(),
    logFields,
  };
}

describe("tracing configuration", () => {
  test("only the standard variables turn tracing on", () => {
    assert.equal(tracingWanted({}), false, "off by default");
    assert.equal(tracingWanted({ OTEL_TRACES_EXPORTER: "otlp" }), true);
    assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), true);
    assert.equal(
      tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }),
      true,
    );
    assert.equal(
      tracingWanted({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }),
      false,
    );
    assert.equal(tracingWanted({ OTEL_SDK_DISABLED: "true", OTEL_TRACES_EXPORTER: "otlp" }), false);
    assert.equal(tracingWanted({ OTEL_SDK_DISABLED: "false", OTEL_TRACES_EXPORTER: "otlp" }), true);
  });
});

describe("tracing off, then on, then off again", { concurrency: false }, () => {
  test("off: no provider, propagator or context manager is registered, headers and payloads are untouched", async () => {
    const tracing = startTracing({ service: "gateway", env: { OTEL_SERVICE_NAME: "gateway" } });
    assert.equal(tracing.on, false);
    assert.equal(tracingOn(), false);
    const probe = trace.getTracer("probe").startSpan("probe");
    assert.equal(probe.isRecording(), false, "the global tracer provider is still the no-op one");
    assert.deepEqual(propagation.fields(), [], "no global propagator");
    assert.equal(traceHeaders(), undefined);
    assert.equal(withTraceHeaders(undefined), undefined, "no NATS headers are made");

    const seen = await crossPorts();
    assert.deepEqual(
      seen.rpcHeaders,
      { "x-caller": "1", [timeoutHeader]: String(defaultRpcTimeoutMs) },
      "RPC headers as given",
    );
    assert.deepEqual(seen.job.request, request, "the run request arrives exactly as submitted");
    assert.equal("trace" in seen.event, false, "a live event carries no trace");
    assert.deepEqual(seen.natsHeaderKeys, ["x-kept"]);
    assert.deepEqual(seen.logFields, {}, "log lines get no trace ids");
    await tracing.shutdown();
  });

  test("on: the same calls carry the trace context beside the payloads, never in them", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ service: "embedded", env: {}, exporter });
    assert.equal(tracing.on, true);
    const seen = await crossPorts();
    const outer = exporter.getFinishedSpans().find((s) => s.name === "outer")!;
    const { traceId } = outer.spanContext();
    assert.match(seen.rpcHeaders.traceparent ?? "", new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.deepEqual(seen.job.request, request, "the payload is unchanged: the context travels beside it");
    assert.match(seen.event.trace?.traceparent ?? "", new RegExp(`^00-${traceId}-`));
    assert.deepEqual(seen.natsHeaderKeys, ["traceparent", "x-kept"]);
    assert.equal(seen.logFields.trace_id, traceId);
    const consume = exporter.getFinishedSpans().find((s) => s.name === "process agent.run")!;
    const publish = exporter.getFinishedSpans().find((s) => s.name === "publish agent.run")!;
    assert.equal(
      consume.parentSpanContext?.spanId,
      publish.spanContext().spanId,
      "consume is the publish's child",
    );
    assert.equal(outer.resource.attributes["service.name"], "embedded");

    await tracing.shutdown();
    assert.equal(tracingOn(), false);
    assert.equal(trace.getTracer("probe").startSpan("probe").isRecording(), false, "unregistered again");
    assert.deepEqual(propagation.fields(), []);
  });

  test("an unsampled action makes no spans at any hop, and its context still tells the next process", async () => {
    const exporter = new InMemorySpanExporter();
    // The SDK reads its sampler from the process's environment when the provider is made.
    process.env.OTEL_TRACES_SAMPLER = "parentbased_traceidratio";
    process.env.OTEL_TRACES_SAMPLER_ARG = "0";
    const tracing = startTracing({ service: "embedded", env: {}, exporter });
    delete process.env.OTEL_TRACES_SAMPLER;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
    try {
      const seen = await crossPorts();
      assert.deepEqual(
        exporter.getFinishedSpans().map((s) => s.name),
        [],
        "nothing recorded",
      );
      let inner: unknown = "not run";
      await traced("outer", {}, () => traced("inner", {}, (span) => (inner = span)));
      assert.equal(inner, undefined, "no span object below an unsampled one");
      assert.match(
        seen.rpcHeaders.traceparent ?? "",
        /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/,
        "flag 00 travels on",
      );
    } finally {
      await tracing.shutdown();
    }
  });
});
