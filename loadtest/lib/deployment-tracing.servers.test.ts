import assert from "node:assert/strict";
import { after, test } from "node:test";
import { type OtlpReceiver, startOtlpReceiver } from "../../test/support/otlp-receiver.js";
import { type Deployment, parseTraceRatio, startDeployment } from "./deployment.js";

/**
 * `--trace-ratio` of the load tests: a benchmark deployment started with `traceRatio` exports its
 * spans to the sink it counts; one started without traces nothing, even when an OTLP endpoint is
 * in its environment (the lead's shell may have one).
 */
let deployment: Deployment | undefined;
let receiver: OtlpReceiver | undefined;

after(async () => {
  await deployment?.stop();
  await receiver?.close();
});

test("--trace-ratio takes a share in (0, 1]", () => {
  assert.equal(parseTraceRatio(undefined), undefined);
  assert.equal(parseTraceRatio("0.1"), 0.1);
  assert.equal(parseTraceRatio("1"), 1);
  for (const bad of ["0", "-0.5", "1.5", "ten"]) assert.throws(() => parseTraceRatio(bad), /--trace-ratio/);
});

test("a traced deployment's services export spans to the counting sink, the last ones as they stop", async () => {
  deployment = await startDeployment({
    gateways: 1,
    workers: 0,
    traceRatio: 1,
    // No scheduled export during the test: only the flush on SIGTERM can bring the spans.
    env: { FEED_ENABLED: "false", OTEL_BSP_SCHEDULE_DELAY: "600000" },
  });
  assert.equal(deployment.tracing?.ratio, 1);
  for (let i = 0; i < 5; i++) await (await fetch(`${deployment.gatewayUrls[0]}/api/markets`)).arrayBuffer();
  const { tracing } = deployment;
  await deployment.stop();
  deployment = undefined;
  const fromGateway = tracing!.spansByService().gateway ?? 0;
  assert.ok(fromGateway >= 5, `the gateway's request spans reached the sink (${fromGateway})`);
});

test("an untraced deployment exports nothing, whatever OTEL_* its environment holds", async () => {
  receiver = await startOtlpReceiver();
  deployment = await startDeployment({
    gateways: 1,
    workers: 0,
    env: { FEED_ENABLED: "false", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
  assert.equal(deployment.tracing, undefined);
  for (let i = 0; i < 5; i++) await (await fetch(`${deployment.gatewayUrls[0]}/api/markets`)).arrayBuffer();
  await deployment.stop();
  deployment = undefined;
  assert.equal(receiver.count, 0, "no span was exported");
});
