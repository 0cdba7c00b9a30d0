import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse, stringify } from "yaml";
import { fieldProblems, type K8sObject, render, schemaProblems } from "./k8s-validate.js";

// What `kubectl apply` would refuse, found without a cluster: every object kustomize renders is
// checked against the Kubernetes API's schemas and KEDA's, field names included (k8s-validate.ts).
// Needs `kubectl` (its built-in kustomize), `promtool` (Debian's `prometheus`) and `nats-server`
// on the PATH.

const root = fileURLToPath(new URL("../../", import.meta.url));
const k8s = render(root, "infra/k8s");
const nats = render(root, "infra/nats");
const backups = render(root, "infra/k8s/postgres-backup");

const named = (objects: readonly K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(found, `kustomize renders no ${kind} ${name}`);
  return found as K8sObject & { spec: Record<string, unknown> };
};

describe("rendered manifests", () => {
  test("infra/k8s renders the platform, NATS included, every object in namespace epl", () => {
    const kinds = new Set(k8s.map((o) => o.kind));
    for (const kind of ["Deployment", "StatefulSet", "HorizontalPodAutoscaler", "ScaledObject", "Ingress"]) {
      assert.ok(kinds.has(kind), kind);
    }
    named(k8s, "StatefulSet", "nats");
    const elsewhere = k8s.filter((o) => o.kind !== "Namespace" && o.metadata?.namespace !== "epl");
    assert.deepEqual(elsewhere, []);
  });

  test("every object of infra/k8s matches its Kubernetes or KEDA schema: types, formats, required fields", async () => {
    assert.deepEqual(await schemaProblems(k8s), []);
  });

  test("every field of every infra/k8s object is one its schema names", () => {
    assert.deepEqual(fieldProblems(root, k8s), []);
  });

  test("infra/nats on its own matches the Kubernetes schemas", async () => {
    assert.ok(nats.length >= 4);
    assert.deepEqual(await schemaProblems(nats), []);
    assert.deepEqual(fieldProblems(root, nats), []);
  });

  test("infra/k8s/postgres-backup on its own matches the Kubernetes schemas, every object in namespace epl", async () => {
    assert.deepEqual(await schemaProblems(backups), []);
    assert.deepEqual(fieldProblems(root, backups), []);
    assert.deepEqual(
      backups.filter((o) => o.metadata?.namespace !== "epl").map((o) => o.metadata?.name),
      [],
    );
  });

  // The checks above pass only if they can fail: the same objects, broken as a hand edit would
  // break them, must be refused with the field named.
  test("a misspelled field, a wrong type and an unknown kind are each refused, naming the object", async () => {
    const broken = structuredClone(k8s);
    const find = (kind: string, name: string) =>
      broken.find((o) => o.kind === kind && o.metadata?.name === name);
    put(find("Deployment", "gateway"), ["spec", "template", "spec", "terminationGracePeriodSecond"], 45);
    put(find("HorizontalPodAutoscaler", "gateway"), ["spec", "minReplicas"], "2");
    put(find("ScaledObject", "agent-worker"), ["spec", "triggers", 0, "metadata", "lagThreshold"], 500);
    broken.push({ apiVersion: "keda.sh/v1alpha1", kind: "ScaledThing", metadata: { name: "x" }, spec: {} });

    const schema = await schemaProblems(broken);
    assert.ok(schema.some((p) => /^HorizontalPodAutoscaler\/gateway: .*minReplicas must be integer/.test(p)));
    assert.ok(schema.some((p) => /^ScaledObject\/agent-worker: .*lagThreshold must be string/.test(p)));
    assert.ok(schema.some((p) => /^ScaledThing\/x: no schema/.test(p)));
    const fields = fieldProblems(root, broken.slice(0, -1));
    assert.ok(
      fields.some((p) => p.startsWith("Deployment/gateway") && p.includes("terminationGracePeriodSecond")),
      fields.join("\n"),
    );
  });
});

/**
 * The backup side of docs/operations.md on Kubernetes: the WAL archive is the synchronous standby
 * infra/postgres/backup.conf names, so a commit waits for its WAL on the archive's own volume.
 */
describe("PostgreSQL backups (infra/k8s/postgres-backup)", () => {
  type Container = { name: string; args?: string[]; volumeMounts?: { name: string }[] };
  const archive = named(backups, "Deployment", "wal-archive");
  const pod = (archive.spec.template as { spec: { containers: Container[]; volumes: unknown[] } }).spec;
  const receiver = pod.containers.find((c) => c.name === "pg-receivewal");

  test("pg_receivewal flushes every write onto the archive's claim, on the slot that holds WAL for it", () => {
    const command = receiver?.args?.join(" ") ?? "";
    assert.match(command, /\bpg_receivewal\b/);
    assert.match(command, /--synchronous\b/);
    assert.match(command, /--slot=wal_archive\b/);
    assert.deepEqual(pod.volumes, [
      { name: "archive", persistentVolumeClaim: { claimName: "wal-archive" } },
      { name: "tmp", emptyDir: {} },
    ]);
    named(backups, "PersistentVolumeClaim", "wal-archive");
    assert.equal(
      (archive.spec.strategy as { type: string }).type,
      "Recreate",
      "never two receivers on one slot",
    );
  });

  test("the shipped settings make the archive a synchronous standby under the name pg_receivewal connects with", () => {
    const conf = readFileSync(join(root, "infra/postgres/backup.conf"), "utf8");
    const standbys = /^synchronous_standby_names\s*=\s*'([^']*)'/m.exec(conf)?.[1];
    assert.ok(standbys, "backup.conf sets synchronous_standby_names");
    // pg_receivewal's default application_name, unless the command sets another.
    assert.doesNotMatch(receiver?.args?.join(" ") ?? "", /application_name/);
    assert.match(standbys, /\bpg_receivewal\b/);
  });

  test("the base backup runs daily, never twice at once, with its WAL, and uploads it", () => {
    const cron = named(backups, "CronJob", "postgres-base-backup");
    assert.match(cron.spec.schedule as string, /^\d+ \d+ \* \* \*$/, "once a day");
    assert.equal(cron.spec.concurrencyPolicy, "Forbid");
    const job = (cron.spec.jobTemplate as { spec: { template: { spec: Record<string, Container[]> } } }).spec
      .template.spec;
    const backup = job.initContainers!.map((c) => c.args?.join(" ")).join(" ");
    assert.match(backup, /pg_basebackup .*-X stream/);
    assert.match(job.containers!.map((c) => c.args?.join(" ")).join(" "), /rclone copy \/backup\/base/);
  });
});

/**
 * The parameters each scaler reads (KEDA's documentation of the scaler). A trigger's metadata is
 * a free-form map in KEDA's schema, so a misspelled parameter would otherwise pass unnoticed and
 * KEDA would refuse the trigger only once applied.
 */
const scalerParameters: Record<string, { required: string[]; optional: string[] }> = {
  "nats-jetstream": {
    required: ["natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"],
    optional: ["activationLagThreshold", "useHttps"],
  },
  prometheus: {
    required: ["serverAddress", "query", "threshold"],
    optional: ["activationThreshold", "namespace", "ignoreNullValues", "unsafeSsl", "queryParameters"],
  },
  cpu: { required: ["value"], optional: [] },
  memory: { required: ["value"], optional: [] },
};

describe("KEDA triggers", () => {
  const scaled = named(k8s, "ScaledObject", "agent-worker");
  const triggers = scaled.spec.triggers as Array<{
    type: string;
    name?: string;
    metadata: Record<string, string>;
  }>;

  test("each trigger sets every parameter its scaler needs and no other, numbers as numeric strings", () => {
    for (const [i, t] of triggers.entries()) {
      const known = scalerParameters[t.type];
      assert.ok(known, `trigger ${i}: scaler ${t.type} is not one this test knows`);
      const keys = Object.keys(t.metadata);
      for (const key of known.required) assert.ok(keys.includes(key), `trigger ${t.name ?? i} lacks ${key}`);
      const unknown = keys.filter((k) => !known.required.includes(k) && !known.optional.includes(k));
      assert.deepEqual(unknown, [], `trigger ${t.name ?? i} (${t.type})`);
      for (const key of ["lagThreshold", "activationLagThreshold", "threshold", "value"]) {
        if (key in t.metadata) assert.match(t.metadata[key]!, /^\d+(\.\d+)?$/, `${t.name ?? i} ${key}`);
      }
    }
    const names = triggers.flatMap((t) => (t.name === undefined ? [] : [t.name]));
    assert.equal(new Set(names).size, names.length, "trigger names are unique");
  });

  test("the Prometheus triggers' queries are valid PromQL", () => {
    const queries = triggers.filter((t) => t.type === "prometheus").map((t) => t.metadata.query!);
    assert.ok(queries.length > 0);
    assert.deepEqual(promqlProblems(queries), []);
  });
});

/**
 * The Prometheus Adapter's configuration format (its `rules` list; the adapter's own config
 * documentation): enough to refuse a misspelled key or a wrong type, which the adapter would
 * otherwise ignore or fail on at start.
 */
const adapterSchema = {
  type: "object",
  additionalProperties: false,
  required: ["rules"],
  properties: {
    rules: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["seriesQuery", "resources", "name", "metricsQuery"],
        properties: {
          seriesQuery: { type: "string", minLength: 1 },
          seriesFilters: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              properties: { is: { type: "string" }, isNot: { type: "string" } },
            },
          },
          resources: {
            type: "object",
            additionalProperties: false,
            properties: {
              template: { type: "string" },
              overrides: {
                type: "object",
                additionalProperties: {
                  type: "object",
                  additionalProperties: false,
                  required: ["resource"],
                  properties: { group: { type: "string" }, resource: { type: "string" } },
                },
              },
            },
          },
          name: {
            type: "object",
            additionalProperties: false,
            properties: { matches: { type: "string" }, as: { type: "string" } },
          },
          metricsQuery: { type: "string", minLength: 1 },
        },
      },
    },
  },
} as const;

interface AdapterRule {
  seriesQuery: string;
  resources: { overrides?: Record<string, { resource: string }> };
  name: { matches?: string; as?: string };
  metricsQuery: string;
}

describe("Prometheus Adapter rules (infra/k8s/monitoring, not a Kubernetes object)", () => {
  const path = "infra/k8s/monitoring/prometheus-adapter.yaml";
  const config = parse(readFileSync(join(root, path), "utf8")) as { rules: AdapterRule[] };
  const validate = new Ajv({ allErrors: true }).compile(adapterSchema);

  test("the file matches the adapter's configuration format, and the validator refuses a misspelled key", () => {
    assert.ok(validate(config), JSON.stringify(validate.errors));
    const broken = structuredClone(config) as unknown as { rules: Array<Record<string, unknown>> };
    broken.rules[0]!.metricQuery = broken.rules[0]!.metricsQuery;
    delete broken.rules[0]!.metricsQuery;
    assert.equal(validate(broken), false);
  });

  test("it serves, per pod, the gateway gauge the HPA scales on, under the name the HPA asks for", () => {
    const hpa = named(k8s, "HorizontalPodAutoscaler", "gateway");
    const podMetrics = (hpa.spec.metrics as Array<{ type: string; pods?: { metric: { name: string } } }>)
      .filter((m) => m.type === "Pods")
      .map((m) => m.pods!.metric.name);
    assert.ok(podMetrics.length > 0);
    for (const wanted of podMetrics) {
      const rule = config.rules.find((r) => (r.name.as ?? seriesName(r)) === wanted);
      assert.ok(rule, `no adapter rule serves ${wanted}`);
      assert.equal(rule.resources.overrides?.pod?.resource, "pod", "the metric is per pod");
      assert.equal(rule.resources.overrides?.namespace?.resource, "namespace");
      const series = seriesName(rule);
      assert.ok(
        gatewaySources().includes(`name: "${series}"`),
        `the gateway registers no ${series}: the adapter would serve nothing`,
      );
    }
  });

  test("each rule's series and metrics queries are valid PromQL once the adapter fills in its templates", () => {
    const queries = config.rules.flatMap((r) => [
      r.seriesQuery,
      r.metricsQuery
        .replaceAll("<<.Series>>", seriesName(r))
        .replaceAll("<<.LabelMatchers>>", 'namespace="epl",pod=~"gateway-.*"')
        .replaceAll("<<.GroupBy>>", "pod"),
    ]);
    assert.deepEqual(promqlProblems(queries), []);
    assert.notDeepEqual(
      promqlProblems(["sum(ws_connections{pod=}) by (pod)"]),
      [],
      "promtool refuses bad PromQL",
    );
  });
});

/** Sets `value` at `path` (keys, and indexes into arrays) inside `target`. */
function put(target: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}

function seriesName(rule: AdapterRule): string {
  const name = /^([a-zA-Z_:][\w:]*)/.exec(rule.seriesQuery)?.[1];
  assert.ok(name, `no metric name in ${rule.seriesQuery}`);
  return name;
}

function gatewaySources(): string {
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) return files(path);
      return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
    });
  return files("services/gateway")
    .map((f) => readFileSync(join(root, f), "utf8"))
    .join("\n");
}

/**
 * `promtool check rules` on a rule file with one recording rule per query: promtool parses each
 * expression with Prometheus's own parser. Returns promtool's complaints, empty when all parse.
 */
function promqlProblems(queries: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "promql-"));
  try {
    const file = join(dir, "queries.yaml");
    const rules = queries.map((expr, i) => ({ record: `check:query_${i}`, expr }));
    writeFileSync(file, stringify({ groups: [{ name: "queries", rules }] }));
    execFileSync("promtool", ["check", "rules", file], { encoding: "utf8", stdio: "pipe" });
    return [];
  } catch (err) {
    const { stdout, stderr, message } = err as { stdout?: string; stderr?: string; message: string };
    return [`${stdout ?? ""}${stderr ?? ""}`.trim() || message];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("NATS server configuration (infra/nats/nats.conf)", () => {
  const conf = readFileSync(join(root, "infra/nats/nats.conf"), "utf8");
  /** `nats-server -t`: the server's own parser, unknown fields refused; its complaint, or "". */
  const serverRefuses = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), "nats-conf-"));
    try {
      writeFileSync(join(dir, "nats.conf"), text);
      execFileSync("nats-server", ["-t", "-c", join(dir, "nats.conf")], {
        env: { ...process.env, SERVER_NAME: "nats-0" },
        stdio: "pipe",
      });
      return "";
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: Buffer; stdout?: Buffer };
      return `${stdout ?? ""}${stderr ?? ""}`.trim() || String(err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("nats-server accepts it, and refuses a misspelled field", () => {
    assert.equal(serverRefuses(conf), "");
    assert.match(serverRefuses(conf.replace("store_dir:", "store_dirr:")), /unknown field "store_dirr"/);
  });

  test("it serves the monitoring endpoint KEDA reads on the StatefulSet's monitor port", () => {
    const port = /^http:\s*[\d.]*:(\d+)\s*$/m.exec(conf)?.[1];
    assert.ok(port, "monitoring (http) is on");
    const statefulSet = named(nats, "StatefulSet", "nats") as unknown as {
      spec: {
        template: { spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } };
      };
    };
    const monitor = statefulSet.spec.template.spec.containers[0]!.ports.find((p) => p.name === "monitor");
    assert.equal(monitor?.containerPort, Number(port));
    const endpoints = (
      named(k8s, "ScaledObject", "agent-worker").spec.triggers as Array<{
        type: string;
        metadata: Record<string, string>;
      }>
    )
      .filter((t) => t.type === "nats-jetstream")
      .map((t) => t.metadata.natsServerMonitoringEndpoint);
    assert.ok(endpoints.length > 0 && endpoints.every((e) => e!.endsWith(`:${port}`)));
  });
});
