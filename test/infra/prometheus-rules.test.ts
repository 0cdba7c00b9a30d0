import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { errorRegistry } from "../../shared/errors.js";

// The alert and recording rules (infra/prometheus/rules) and the scrape configurations, checked
// by Prometheus' own promtool: syntax, PromQL and the unit tests in infra/prometheus/*.test.yml.
// promtool comes from Debian's `prometheus` package; CI installs it (scripts/ensure-promtool.sh),
// so a machine without it fails here rather than skipping the rules' tests.

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = join(root, "infra/prometheus");
const ruleFiles = readdirSync(join(dir, "rules"))
  .filter((f) => f.endsWith(".yml"))
  .map((f) => `rules/${f}`);
const testFiles = readdirSync(dir).filter((f) => f.endsWith(".test.yml"));
const scrapeConfigs = ["prometheus.yml", "prometheus.local.yml"];

function promtool(...args: string[]): string {
  const run = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (run.error) {
    assert.fail(
      `promtool ${args.join(" ")}: ${run.error.message}; install it with scripts/ensure-promtool.sh`,
    );
  }
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `promtool ${args.join(" ")} failed:\n${output}`);
  return output;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = ruleFiles.flatMap((f) =>
  (parse(readFileSync(join(dir, f), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (g) => g.rules,
  ),
);
const alerts = rules.filter((r) => r.alert !== undefined);
const recorded = (name: string) => rules.filter((r) => r.record === name);

describe("Prometheus rules", () => {
  test("promtool finds no error in the rule files", () => {
    assert.ok(ruleFiles.length > 0);
    const output = promtool("check", "rules", ...ruleFiles);
    assert.match(output, /SUCCESS/);
  });

  test("every alert passes its promtool unit tests, firing above its threshold and not at it", () => {
    assert.ok(testFiles.length > 0);
    promtool("test", "rules", ...testFiles);
  });

  test("every alert is unit-tested", () => {
    const tested = new Set(
      testFiles.flatMap((f) =>
        (
          parse(readFileSync(join(dir, f), "utf8")) as {
            tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
          }
        ).tests.flatMap((t) =>
          (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
        ),
      ),
    );
    assert.deepEqual(
      alerts.map((a) => a.alert).filter((name) => !tested.has(name!)),
      [],
      "alerts no unit test sees firing",
    );
  });

  test("every alert waits a `for:`, has a severity, a summary, a description and a runbook", () => {
    for (const a of alerts) {
      assert.match(a.for ?? "", /^\d+[smh]$/, `${a.alert} for:`);
      assert.ok(["warning", "critical"].includes(a.labels?.severity ?? ""), `${a.alert} severity`);
      for (const key of ["summary", "description", "runbook"]) {
        assert.ok((a.annotations?.[key] ?? "").trim().length > 20, `${a.alert} ${key}`);
      }
    }
  });

  test("the server error rate counts exactly the error codes answered with a 5xx status", () => {
    const [rule] = recorded("service:server_error_rate:ratio_rate5m");
    const codes = /code=~"([^"]+)"/.exec(rule!.expr)![1]!.split("|").sort();
    const serverCodes = Object.entries(errorRegistry)
      .filter(([, e]) => e.status >= 500)
      .map(([code]) => code)
      .sort();
    assert.deepEqual(codes, serverCodes);
  });

  test("the routes the response-time rule leaves out are the gateway's agent-run routes", () => {
    const exclusions = rules
      .filter((r) => r.expr.includes("request_duration_seconds"))
      .flatMap((r) => [...r.expr.matchAll(/route!~"([^"]+)"/g)].map((m) => m[1]!));
    assert.ok(exclusions.length >= 4, "the response-time rules leave the run routes out of every selector");
    assert.equal(new Set(exclusions).size, 1, "every selector leaves out the same routes");
    const excluded = exclusions[0]!.split("|").sort();
    // The routes whose handler answers with the whole run (run-reply.ts's runOverHttp): each
    // `app.<method>("route", …)` registration, up to the next one (hooks are not routes).
    // Every folder of the gateway: routes sit with their feature (docs/architecture.md "The gateway").
    const gatewayDir = join(root, "services/gateway");
    const runRoutes = readdirSync(gatewayDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .flatMap((f) =>
        readFileSync(join(gatewayDir, f), "utf8").split(
          /(?=\bapp\.(?:get|post|put|patch|delete)(?:<[^>]*>)?\(\s*")/,
        ),
      )
      .filter((registration) => /\brunOverHttp\(/.test(registration))
      .flatMap(
        (registration) =>
          /^app\.(?:get|post|put|patch|delete)(?:<[^>]*>)?\(\s*"([^"]+)"/.exec(registration)?.[1] ?? [],
      )
      .sort();
    assert.ok(runRoutes.length >= 2);
    assert.deepEqual(excluded, runRoutes);
  });

  test("the JetStream store alert uses a NATS node's max_file_store (infra/nats/nats.conf)", () => {
    const conf = readFileSync(join(root, "infra/nats/nats.conf"), "utf8");
    const [, size, unit] = /^\s*max_file_store:\s*(\d+)\s*(GB|MB)\s*$/m.exec(conf)!;
    const bytes = Number(size) * (unit === "GB" ? 2 ** 30 : 2 ** 20);
    const alert = alerts.find((a) => a.alert === "JetStreamStoreNearlyFull")!;
    assert.match(alert.expr, new RegExp(`> 0\\.8 \\* ${bytes}$`));
  });

  test("the sockets-per-gateway alert sits 60 % above the gateway HPA's target (infra/k8s/gateway-hpa.yaml)", () => {
    const hpa = parse(readFileSync(join(root, "infra/k8s/gateway-hpa.yaml"), "utf8")) as {
      spec: {
        metrics: { type: string; pods?: { metric: { name: string }; target: { averageValue: string } } }[];
      };
    };
    const sockets = hpa.spec.metrics.find((m) => m.pods?.metric.name === "ws_connections");
    const target = Number(sockets?.pods?.target.averageValue);
    const alert = alerts.find((a) => a.alert === "GatewaySocketsHigh")!;
    assert.equal(alert.expr, `ws_connections > ${target * 1.6}`);
  });
});

describe("Prometheus scrape configurations", () => {
  test("promtool accepts each, and the rule files they load", () => {
    for (const file of scrapeConfigs) {
      const output = promtool("check", "config", file);
      assert.ok(output.includes(`SUCCESS: ${ruleFiles.length} rule files found`), `${file}:\n${output}`);
    }
  });
});
