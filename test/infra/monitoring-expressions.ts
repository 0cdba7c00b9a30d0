import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { metricNames } from "./promql-metric-names.js";

/**
 * Every PromQL expression the monitoring set-up evaluates, with where it is: the rules in
 * infra/prometheus/rules and each Grafana dashboard's panel targets, template variable queries and
 * annotation queries under infra/grafana/dashboards.
 */
export interface MonitoringExpression {
  /** e.g. `rules/alerts.yml: ErrorRateHigh` or `golden-signals.json: Trade latency`. */
  where: string;
  expr: string;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const rulesDir = join(root, "infra/prometheus/rules");
const dashboardsDir = join(root, "infra/grafana/dashboards");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

function rules(): { file: string; rule: Rule }[] {
  return readdirSync(rulesDir)
    .filter((f) => f.endsWith(".yml"))
    .flatMap((file) =>
      (parse(readFileSync(join(rulesDir, file), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap(
        (g) => g.rules.map((rule) => ({ file, rule })),
      ),
    );
}

export function ruleExpressions(): MonitoringExpression[] {
  return rules().map(({ file, rule }) => ({
    where: `rules/${file}: ${rule.alert ?? rule.record}`,
    expr: rule.expr,
  }));
}

/** The series the recording rules create: they exist once Prometheus evaluates the rules. */
export function recordedNames(): Set<string> {
  return new Set(rules().flatMap(({ rule }) => (rule.record === undefined ? [] : [rule.record])));
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
  annotations?: { list: { name: string; expr?: string }[] };
}

export function dashboardExpressions(): MonitoringExpression[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), "utf8")) as Dashboard;
      const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
      return [
        ...panels.flatMap((p) =>
          (p.targets ?? []).flatMap((t) => (t.expr ? [{ where: `${file}: ${p.title}`, expr: t.expr }] : [])),
        ),
        ...(dashboard.templating?.list ?? []).flatMap((v) => {
          const query = typeof v.query === "string" ? v.query : v.query?.query;
          return query ? [{ where: `${file}: variable ${v.name}`, expr: grafanaQueryExpr(query) }] : [];
        }),
        ...(dashboard.annotations?.list ?? []).flatMap((a) =>
          a.expr ? [{ where: `${file}: annotation ${a.name}`, expr: a.expr }] : [],
        ),
      ];
    });
}

/**
 * The PromQL inside a Grafana variable query: `label_values(expr, label)` and
 * `query_result(expr)` wrap one; `label_names()` and `metrics(regex)` name no metric.
 */
export function grafanaQueryExpr(query: string): string {
  const labelValues = /^\s*label_values\(\s*(.*?)\s*,\s*\w+\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1]!;
  const queryResult = /^\s*query_result\(\s*(.*)\)\s*$/s.exec(query);
  if (queryResult) return queryResult[1]!;
  if (/^\s*(label_names|metrics)\(/.test(query)) return "";
  return query;
}

/** Each metric name an expression selects, with the expressions that select it. */
export function namesUsed(expressions: MonitoringExpression[]): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const { where, expr } of expressions) {
    for (const name of metricNames(expr)) {
      const places = used.get(name) ?? [];
      if (!places.includes(where)) used.set(name, [...places, where]);
    }
  }
  return used;
}
