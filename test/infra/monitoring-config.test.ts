import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadConfig } from "../../shared/config.js";

// What a monitoring set-up gets wrong without an error anywhere: Prometheus scraping a host or
// port no process serves /metrics on (every alert then reads "no data", not "down" — only up==0
// would tell), or Grafana looking for its dashboards or data source where they are not.

const root = fileURLToPath(new URL("../../", import.meta.url));
const readYaml = (path: string) => parse(readFileSync(join(root, path), "utf8"), { merge: true });

interface ScrapeConfig {
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}
/** `job → targets` of a Prometheus configuration. */
function jobs(path: string): Record<string, string[]> {
  const config = readYaml(path) as ScrapeConfig;
  return Object.fromEntries(
    config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets).sort()]),
  );
}

/** The service a process runs, from its module path: `dist/services/<service>/main.js`. */
const serviceOf = (module: string) => /services\/([\w-]+)\/main\.js$/.exec(module)![1]!;

/** `[job, target]` pairs as `job → sorted targets`, the shape `jobs` returns. */
function bySorted(entries: [string, string][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [job, target] of entries) out[job] = [...(out[job] ?? []), target].sort();
  return out;
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = readYaml("infra/compose/docker-compose.yml") as { services: Record<string, ComposeService> };

describe("Prometheus scrape targets", () => {
  test("compose: every service process is scraped on the port and address its metrics listener binds", () => {
    const apps = Object.entries(compose.services).filter(([, s]) =>
      s.image?.startsWith("epl-trading-platform:"),
    );
    const expected = apps.map(([name, s]): [string, string] => {
      // The environment as compose gives it to a shell that set only the required variables
      // (JWT_SECRET, infra/README.md): `${NAME:-default}` is its default.
      const env = Object.fromEntries(
        Object.entries(s.environment ?? {}).map(([k, v]) => [
          k,
          String(v).replace(
            /\$\{\w+(?::?-([^}]*)|:?\?[^}]*)\}/g,
            (_, fallback?: string) => fallback ?? "x".repeat(32),
          ),
        ]),
      );
      const config = loadConfig(env);
      assert.notEqual(
        config.metricsHost,
        "127.0.0.1",
        `${name}'s metrics listener is reachable by Prometheus`,
      );
      return [serviceOf(s.command![0]!), `${name}:${config.metricsPort}`];
    });
    assert.ok(expected.length >= 7);
    assert.deepEqual(jobs("infra/prometheus/prometheus.yml"), bySorted(expected));
  });

  test("dist-up: every process is scraped on the metrics port dist-env.sh gives it", () => {
    const run = mkdtempSync(join(tmpdir(), "scrape-"));
    try {
      const table = execFileSync("bash", ["-c", "source infra/local/dist-env.sh && dist_processes"], {
        cwd: root,
        env: { PATH: process.env.PATH!, run },
        encoding: "utf8",
      });
      const expected = table
        .trim()
        .split("\n")
        .map((line): [string, string] => {
          const [, module, ...vars] = line.split(" ");
          const port = vars.find((v) => v.startsWith("METRICS_PORT="))!.split("=")[1];
          return [serviceOf(module!), `127.0.0.1:${port}`];
        });
      assert.deepEqual(jobs("infra/prometheus/prometheus.local.yml"), bySorted(expected));
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
  });

  test("compose's Prometheus loads infra/prometheus, rules included", () => {
    const prometheus = compose.services.prometheus!;
    assert.ok(prometheus.volumes!.includes("../prometheus:/etc/prometheus:ro"));
    assert.ok(prometheus.command!.includes("--config.file=/etc/prometheus/prometheus.yml"));
    const config = readYaml("infra/prometheus/prometheus.yml") as { rule_files: string[] };
    assert.deepEqual(config.rule_files, ["rules/*.yml"]);
  });
});

describe("Grafana provisioning", () => {
  const grafana = compose.services.grafana!;
  /** Where compose mounts a folder of the repository (relative to infra/compose) in the container. */
  const mountOf = (source: string) =>
    grafana.volumes!.map((v) => v.split(":")).find(([from]) => from === source)?.[1];

  test("compose mounts the provisioning and the dashboards where the provider reads them", () => {
    assert.equal(mountOf("../grafana/provisioning"), "/etc/grafana/provisioning");
    const provider = readYaml("infra/grafana/provisioning/dashboards/epl.yml") as {
      providers: { options: { path: string } }[];
    };
    assert.equal(mountOf("../grafana/dashboards"), provider.providers[0]!.options.path);
  });

  test("the data source points at compose's Prometheus, and every panel uses it by uid", () => {
    const { datasources } = readYaml("infra/grafana/provisioning/datasources/prometheus.yml") as {
      datasources: { uid: string; type: string; url: string }[];
    };
    assert.equal(datasources.length, 1);
    const [source] = datasources;
    assert.equal(source!.type, "prometheus");
    assert.equal(source!.url, "http://prometheus:9090");
    for (const file of readdirSync(join(root, "infra/grafana/dashboards"))) {
      const dashboard = JSON.parse(readFileSync(join(root, "infra/grafana/dashboards", file), "utf8"));
      const panels = (
        dashboard.panels as { type: string; title: string; datasource?: { uid: string } }[]
      ).filter((p) => p.type !== "row");
      assert.ok(panels.length > 0, file);
      for (const panel of panels) assert.equal(panel.datasource?.uid, source!.uid, `${file}: ${panel.title}`);
    }
  });
});
