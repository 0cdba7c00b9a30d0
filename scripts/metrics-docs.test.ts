import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { withMetricsTable } from "./metrics-docs.js";

test("docs/metrics.md lists every metric the services register, exactly as the code defines it", () => {
  const doc = readFileSync(new URL("../docs/metrics.md", import.meta.url), "utf8");
  assert.equal(withMetricsTable(doc), doc, "run `npx tsx scripts/metrics-docs.ts` to regenerate the table");
  // The figures alert rules, dashboards and autoscalers are written against.
  for (const name of [
    "requests_total",
    "request_duration_seconds",
    "ws_connections",
    "active_users",
    "agent_runs_total",
    "agent_runs_finished_total",
    "errors_total",
    "agent_slots",
    "agent_slots_busy",
    "agent_utilization",
    "queue_length",
    "jetstream_stream_bytes",
    "jetstream_stream_max_bytes",
    "trades_total",
    "trade_duration_seconds",
    "live_fanout_latency_seconds",
    "live_conflated_total",
    "live_slow_consumer_disconnects_total",
    "live_fanout_frames_total",
    "dependency_up",
    "nodejs_eventloop_lag_p99_seconds",
  ])
    assert.match(doc, new RegExp(`^\\| \`${name}\` \\|`, "m"), name);
});
