import assert from "node:assert/strict";
import { test } from "node:test";
import { metricNames } from "./promql-metric-names.js";

// The dashboard/rule cross-check is only as good as its reading of PromQL: a label, a function
// or a keyword taken for a metric fails it for nothing; a metric missed lets a typo through.

const names = (expr: string) => [...metricNames(expr)].sort();

test("a selector's labels, strings and range are not metrics", () => {
  assert.deepEqual(names('rate(errors_total{code=~"internal|by",service!="x{y}"}[5m])'), ["errors_total"]);
  assert.deepEqual(names("up == 0"), ["up"]);
  assert.deepEqual(names("ALERTS{alertstate='firing'}"), ["ALERTS"]);
});

test("label lists after by, without, on, ignoring, group_left and group_right are not metrics", () => {
  assert.deepEqual(
    names(
      "sum by (service, le) (rate(request_duration_seconds_bucket[5m])) / on (service) group_left (tier) max without (instance) (queue_length)",
    ),
    ["queue_length", "request_duration_seconds_bucket"],
  );
  assert.deepEqual(names("sum(rate(trades_total[1m])) BY (outcome)"), ["trades_total"]);
  assert.deepEqual(names("a * ignoring(code) group_right b"), ["a", "b"]);
});

test("functions, aggregations with parameters, keywords, numbers and durations are not metrics", () => {
  assert.deepEqual(
    names(
      "histogram_quantile(0.99, sum by (le) (rate(trade_duration_seconds_bucket[5m] offset 1h30m))) > 1e1 and bool topk(3, x) or vector(0) unless inf",
    ),
    ["trade_duration_seconds_bucket", "x"],
  );
  assert.deepEqual(
    names('label_replace(sum(rate(agent_runs_total[5m:30s] @ end())), "service", "agent-worker", "", "")'),
    ["agent_runs_total"],
  );
  assert.deepEqual(names('count_values("v", node_build_info) > 0.8 * 8589934592'), ["node_build_info"]);
});

test("recording-rule names (with colons) and __name__ selectors are metrics", () => {
  assert.deepEqual(
    names('service:traffic:rate5m / on (service) {__name__="requests_total", service="gateway"}'),
    ["requests_total", "service:traffic:rate5m"],
  );
  assert.throws(() => metricNames('{__name__=~"jetstream_.*"}'), /names no metric/);
});

test("Grafana variables are skipped, in selectors and ranges as elsewhere", () => {
  assert.deepEqual(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${name} syntax, not a template
    names('sum by (route) (rate(requests_total{service=~"$service"}[$__rate_interval])) * ${factor}'),
    ["requests_total"],
  );
});

test("a comment and a multi-line expression", () => {
  assert.deepEqual(
    names("# traffic\nsum by (service) (rate(requests_total[5m]))\n  + on (service)\n  agent_runs_total"),
    ["agent_runs_total", "requests_total"],
  );
});
