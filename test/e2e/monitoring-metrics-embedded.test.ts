import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { assertEveryMetricExists, causeTraffic } from "../support/monitoring-check.js";
import { until } from "../support/polling.js";

/**
 * The dashboard/rule cross-check in embedded mode: `npm start`'s process (services/embedded/main.ts)
 * serves every service's metrics from its one `/metrics`, so the same dashboards work on it.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
let child: ChildProcess;
let output = "";
let traffic: { close(): void } | undefined;
let metricsUrl = "";

before(async () => {
  child = spawn(process.execPath, ["--import", "tsx", "services/embedded/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
      DATA_DIR: "memory",
      LOG_LEVEL: "info",
      OFFLINE_TOKEN_DELAY_MS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = /"address":"(http:\/\/127\.0\.0\.1:\d+)","metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/;
  await until(
    () => ready.test(output) || child.exitCode !== null,
    40_000,
    "the embedded platform's ready line",
  );
  const [, address, metrics] = ready.exec(output) ?? [];
  if (address === undefined) throw new Error(`embedded mode did not start:\n${output.slice(-4000)}`);
  metricsUrl = metrics!;
  traffic = await causeTraffic(address);
});

after(() => {
  traffic?.close();
  child?.kill("SIGKILL");
});

test("every metric the alert rules and the dashboards use is exposed by embedded mode's /metrics", async () => {
  await assertEveryMetricExists([{ process: "embedded", url: metricsUrl }], {
    notInThisMode: {
      jetstream_stream_bytes: "embedded mode has no JetStream: its run queue and live log are in-process",
      jetstream_stream_max_bytes: "embedded mode has no JetStream",
      dependency_up: "embedded mode connects to no NATS, PostgreSQL or Redis",
    },
  });
});

test("each of embedded mode's log lines names its service once", () => {
  const lines = output.split("\n").filter((line) => line.startsWith("{"));
  const services = new Set<string>();
  for (const line of lines) {
    // JSON.parse keeps the last of a repeated key: the count is read off the text.
    assert.equal(line.match(/"service":/g)?.length, 1, line);
    services.add(JSON.parse(line).service);
  }
  assert.ok(services.has("embedded") && services.has("gateway"), [...services].join(", "));
});
