import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { gatewayLimits } from "../../services/gateway/app.js";
import { runNames, tiers } from "../../shared/bus/run-queue/nats-run-streams.js";
import { configSchema, envName, loadConfig } from "../../shared/config.js";
import { agentNames } from "../../shared/protocol/agents.js";
import { runtimeFiles } from "./runtime-files.js";

// What a deployment would get wrong without anyone noticing until it runs: a renamed config
// variable, a stream or consumer name KEDA cannot find, a service path the image lacks, a probe
// or limit missing.

const root = fileURLToPath(new URL("../../", import.meta.url));
const appImage = "epl-trading-platform";
const configVariables = new Set(Object.keys(configSchema.properties).map(envName));

type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };
interface Manifest {
  file: string;
  doc: YamlMap;
}

const read = (path: string) => readFileSync(join(root, path), "utf8");

/**
 * The non-empty documents of a YAML file. Merge keys are on because compose resolves `<<: *x`; a
 * syntax error, a duplicate key or any warning fails the test rather than being read around.
 */
function readYaml(path: string): Yaml[] {
  return parseAllDocuments(read(path), { merge: true })
    .filter((doc) => doc.contents !== null)
    .map((doc) => {
      const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
      assert.deepEqual(problems, [], `${path} is not clean YAML`);
      return doc.toJS() as Yaml;
    });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function map(value: Yaml | undefined, what: string): YamlMap {
  assert.ok(value && typeof value === "object" && !Array.isArray(value), `${what} is not a mapping`);
  return value;
}

function list(value: Yaml | undefined): Yaml[] {
  return Array.isArray(value) ? value : [];
}

/** `at(doc, "spec", "template")`: the value at a path, undefined when any step is missing. */
function at(value: Yaml | undefined, ...path: string[]): Yaml | undefined {
  let node = value;
  for (const key of path) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = node[key];
  }
  return node;
}

const manifests: Manifest[] = [...yamlFiles("infra/k8s"), ...yamlFiles("infra/nats")].flatMap((file) =>
  readYaml(file).map((doc) => ({ file, doc: map(doc, file) })),
);
const compose = map(readYaml("infra/compose/docker-compose.yml")[0], "compose file");

function kind(k: string): Manifest[] {
  return manifests.filter((m) => m.doc.kind === k);
}

function named(k: string, name: string): YamlMap {
  const found = kind(k).find((m) => at(m.doc, "metadata", "name") === name);
  assert.ok(found, `no ${k} named ${name}`);
  return found.doc;
}

const workloads = [...kind("Deployment"), ...kind("StatefulSet")];
const podSpec = (w: YamlMap) => map(at(w, "spec", "template", "spec"), "pod spec");
const containers = (w: YamlMap) => list(podSpec(w).containers).map((c) => map(c, "container"));
const appContainers = workloads.flatMap((w) => containers(w.doc).filter((c) => c.image === appImage));
const configMap = map(at(named("ConfigMap", "epl-config"), "data"), "epl-config data");
const secretTemplate = map(at(named("Secret", "epl-secrets"), "stringData"), "epl-secrets stringData");

function matches(selector: Yaml | undefined, labels: Yaml | undefined): boolean {
  const wanted = Object.entries(map(selector, "selector"));
  return wanted.length > 0 && wanted.every(([k, v]) => at(labels, k) === v);
}

/**
 * Compose's interpolation of `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}` and
 * `${NAME?error}` with `shell` as the environment compose runs in; a required variable that is
 * missing throws, as compose refuses to start.
 */
function interpolate(value: Yaml, shell: Record<string, string>): string {
  return String(value).replace(
    /\$\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}/g,
    (_, name: string, colon: string, op: string | undefined, word: string) => {
      const set = name in shell && (colon !== ":" || shell[name] !== "");
      if (set) return shell[name]!;
      if (op === "?") throw new Error(`compose: ${name} is required: ${word}`);
      return op === "-" ? word : "";
    },
  );
}

const composeServices = map(compose.services, "compose services");
const composeApps = Object.entries(composeServices)
  .map(([name, s]) => [name, map(s, name)] as const)
  .filter(([, s]) => String(s.image).startsWith(`${appImage}:`));

/** The shell of someone who followed infra/README.md: a JWT secret exported, nothing else. */
const composeShell = { JWT_SECRET: "secret-from-the-shell-0123456789abcdef" };

function composeEnv(service: YamlMap, shell: Record<string, string> = composeShell): Record<string, string> {
  const env = service.environment;
  const pairs = Array.isArray(env)
    ? env.map((line) => String(line).split(/=(.*)/s).slice(0, 2))
    : Object.entries(map(env, "environment"));
  return Object.fromEntries(pairs.map(([k, v]) => [String(k), interpolate(v ?? "", shell)]));
}

interface Instruction {
  op: string;
  args: string;
}

const dockerfile: Instruction[] = read("infra/docker/Dockerfile")
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
  .map((line) => {
    const [, op, args] = /^\s*(\w+)\s+(.*)$/.exec(line)!;
    return { op: op!.toUpperCase(), args: args!.trim() };
  });
const instructions = (op: string) => dockerfile.filter((i) => i.op === op);

function execForm(op: string): string[] {
  const found = instructions(op);
  assert.equal(found.length, 1, `one ${op} in the Dockerfile`);
  return JSON.parse(found[0]!.args) as string[];
}

/**
 * The environment the image's last stage sets (`ENV K=v K2="v 2"` or the legacy `ENV K v`), the one
 * every container of the image starts with.
 */
function imageEnv(): Record<string, string> {
  const lastFrom = dockerfile.map((i) => i.op).lastIndexOf("FROM");
  const env: Record<string, string> = {};
  for (const { op, args } of dockerfile.slice(lastFrom)) {
    if (op !== "ENV") continue;
    if (!/^\w+=/.test(args)) {
      const [, key, value] = /^(\w+)\s+(.*)$/.exec(args)!;
      env[key!] = value!;
      continue;
    }
    for (const [, key, quoted, plain] of args.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)) {
      env[key!] = quoted ?? plain ?? "";
    }
  }
  return env;
}

/** Never given a default by the image, compose or the applied manifests. */
const secretVariables = ["JWT_SECRET", "JWT_PUBLIC_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL"];

/** Sources of the Dockerfile's COPY instructions from the build context (not from stages). */
function copiedPaths(): string[] {
  return instructions("COPY")
    .filter((i) => !i.args.startsWith("--from"))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
}

/** The sources of the compiled entry points the image is run with (`dist/x.js` is built from `x.ts`). */
function entryPoints(): string[] {
  return [
    execForm("CMD")[0]!,
    ...composeApps.map(([, s]) => String(list(s.command)[0])),
    ...appContainers.map((c) => String(list(c.args)[0])),
  ].map((entry) => entry.replace(/^dist\/(.*)\.js$/, "$1.ts"));
}

function globRegExp(pattern: string): RegExp {
  const segment = (part: string) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  const body = pattern.replace(/^\//, "").split("**/").map(segment).join("(?:.*/)?");
  return new RegExp(`^${body}(?:/.*)?$`);
}

function dockerIgnored(path: string): boolean {
  let ignored = false;
  for (const line of read(".dockerignore").split("\n")) {
    const pattern = line.trim();
    if (pattern === "" || pattern.startsWith("#")) continue;
    const negated = pattern.startsWith("!");
    if (globRegExp(negated ? pattern.slice(1) : pattern).test(path)) ignored = !negated;
  }
  return ignored;
}

describe("configuration", () => {
  test("every variable the manifests and compose set is in shared/config.ts", () => {
    const used = [
      ...Object.keys(configMap).map((k) => `configmap.yaml ${k}`),
      ...Object.keys(secretTemplate).map((k) => `secret.example.yaml ${k}`),
      ...appContainers.flatMap((c) => list(c.env).map((e) => `${c.name} ${at(e, "name")}`)),
      ...composeApps.flatMap(([name, s]) => Object.keys(composeEnv(s)).map((k) => `compose ${name} ${k}`)),
    ];
    assert.ok(used.length > 10);
    const unknown = used.filter((u) => !configVariables.has(u.split(" ").at(-1)!));
    assert.deepEqual(unknown, [], "variables not in the config schema");
  });

  test("every stream and KV bucket is kept on every node of the NATS StatefulSet", () => {
    const nats = named("StatefulSet", "nats");
    const nodes = Number(at(nats, "spec", "replicas"));
    assert.equal(nodes, 3, "a 3-node JetStream cluster");
    assert.equal(String(configMap.NATS_REPLICAS), String(nodes), "NATS_REPLICAS in epl-config");
    const urls = String(configMap.NATS_URL).split(",");
    assert.equal(urls.length, nodes, "NATS_URL names every node, so clients fail over");
  });

  test("every app container reads the ConfigMap and the Secret", () => {
    assert.ok(appContainers.length >= 4);
    for (const c of appContainers) {
      const from = list(c.envFrom);
      assert.ok(
        from.some((f) => at(f, "configMapRef", "name") === "epl-config"),
        `${c.name} configmap`,
      );
      assert.ok(
        from.some((f) => at(f, "secretRef", "name") === "epl-secrets"),
        `${c.name} secret`,
      );
    }
  });

  test("production config loads, listens on all interfaces and has development tokens off", () => {
    const env = Object.fromEntries(
      Object.entries({ ...configMap, ...secretTemplate }).map(([k, v]) => [k, String(v)]),
    );
    const config = loadConfig(env);
    assert.equal(config.devTokens, false);
    assert.equal(config.host, "0.0.0.0");
    for (const key of ["JWT_SECRET", "JWT_PUBLIC_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL"]) {
      assert.ok(key in secretTemplate, `${key} comes from the Secret`);
      assert.ok(!(key in configMap), `${key} is not in the ConfigMap`);
    }
  });

  test("development tokens are on in no default deployment: image, compose, Kubernetes", () => {
    const defaults: [string, Record<string, string>][] = [
      ["image", imageEnv()],
      ...composeApps.map(
        ([name, s]) =>
          [`compose ${name}`, { ...imageEnv(), ...composeEnv(s) }] as [string, Record<string, string>],
      ),
      ...appContainers.map((c) => {
        const own = list(c.env).flatMap((e) =>
          at(e, "value") === undefined ? [] : [[String(at(e, "name")), String(at(e, "value"))]],
        );
        const env = { ...imageEnv(), ...configMap, ...secretTemplate, ...Object.fromEntries(own) };
        return [`k8s ${c.name}`, Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))] as [
          string,
          Record<string, string>,
        ];
      }),
    ];
    for (const [where, env] of defaults) assert.notEqual(loadConfig(env).devTokens, true, where);
  });

  test("every compose app service's environment loads", () => {
    assert.ok(composeApps.length >= 6);
    for (const [name, service] of composeApps) {
      assert.doesNotThrow(() => loadConfig(composeEnv(service)), name);
    }
  });
});

describe("kustomize", () => {
  function kustomization(dir: string): YamlMap {
    const found = manifests.find((m) => m.file === `${dir}/kustomization.yaml`);
    assert.ok(found, `${dir}/kustomization.yaml`);
    return found.doc;
  }

  test("each kustomization applies every manifest beside it, but never the secret template", () => {
    for (const dir of ["infra/k8s", "infra/nats", "infra/k8s/postgres-backup"]) {
      const listed = new Set(list(kustomization(dir).resources).map(String));
      // monitoring/ holds the Prometheus Adapter's configuration, not objects of this namespace;
      // postgres-backup/ is a kustomization applied on its own (docs/operations.md).
      const beside = yamlFiles(dir)
        .map((f) => f.slice(dir.length + 1))
        .filter(
          (f) =>
            f !== "kustomization.yaml" &&
            f !== "secret.example.yaml" &&
            !f.startsWith("monitoring/") &&
            !f.startsWith("postgres-backup/"),
        );
      for (const file of beside) assert.ok(listed.has(file), `${dir} does not apply ${file}`);
      assert.ok(!listed.has("secret.example.yaml"));
    }
    assert.ok(list(kustomization("infra/k8s").resources).includes("../nats"));
  });

  test("the NATS ConfigMap is generated from infra/nats/nats.conf and mounted by the StatefulSet", () => {
    const generated = list(kustomization("infra/nats").configMapGenerator).map((g) => map(g, "generator"));
    const config = generated.find((g) => list(g.files).includes("nats.conf"));
    assert.ok(config, "no generator reads nats.conf");
    const volumes = list(podSpec(named("StatefulSet", "nats")).volumes);
    assert.ok(volumes.some((v) => at(v, "configMap", "name") === config.name));
  });
});

describe("workloads", () => {
  test("every container has CPU and memory requests and limits", () => {
    assert.ok(workloads.length >= 5);
    for (const w of workloads) {
      for (const c of containers(w.doc)) {
        for (const kindOf of ["requests", "limits"]) {
          for (const resource of ["cpu", "memory"]) {
            assert.ok(at(c, "resources", kindOf, resource), `${w.file} ${c.name} ${kindOf}.${resource}`);
          }
        }
      }
    }
  });

  test("every container that serves HTTP has readiness and liveness probes on its own port", () => {
    for (const w of workloads) {
      for (const c of containers(w.doc)) {
        const ports = list(c.ports).flatMap((p) => [at(p, "name"), at(p, "containerPort")]);
        if (ports.length === 0) continue;
        for (const probe of ["readinessProbe", "livenessProbe"]) {
          const port = at(c, probe, "httpGet", "port");
          assert.ok(port !== undefined && ports.includes(port), `${w.file} ${c.name} ${probe}`);
        }
      }
    }
  });

  test("pods are restarted whenever their process exits", () => {
    for (const w of workloads) {
      const policy = podSpec(w.doc).restartPolicy;
      assert.ok(policy === undefined || policy === "Always", `${w.file} restartPolicy ${policy}`);
    }
  });

  test("every HTTP probe asks a path its service serves, and liveness never waits on a dependency", () => {
    const probed = appContainers.filter((c) => list(c.ports).length > 0);
    assert.ok(probed.length > 0);
    for (const c of probed) {
      const service = /^dist\/services\/([\w-]+)\/main\.js$/.exec(String(list(c.args)[0]))?.[1];
      const sources = [...collectTs(`services/${service}`), ...collectTs("shared")].map(read).join("\n");
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const path = at(c, probe, "httpGet", "path");
        if (path === undefined) continue;
        assert.ok(sources.includes(`.get("${path}"`), `${c.name} ${probe}: ${service} serves no ${path}`);
      }
      // /readyz fails while PostgreSQL, NATS or Redis is down: as liveness it would restart every
      // pod during an outage that a restart cannot fix.
      assert.notEqual(at(c, "livenessProbe", "httpGet", "path"), "/readyz", `${c.name} liveness`);
    }
  });

  test("a service without probes has no listener to probe", () => {
    for (const c of appContainers.filter((c) => list(c.ports).length === 0)) {
      const entry = String(list(c.args)[0]).replace(/^dist\/(.*)\.js$/, "$1.ts");
      assert.ok(
        !/\.listen\(/.test(read(entry)),
        `${entry} listens: give ${c.name} its port and readiness and liveness probes`,
      );
    }
  });

  test("the gateway is probed on /readyz and /healthz and drains after the load balancer lets go", () => {
    const gateway = named("Deployment", "gateway");
    const [c] = containers(gateway);
    assert.equal(at(c, "readinessProbe", "httpGet", "path"), "/readyz");
    assert.equal(at(c, "livenessProbe", "httpGet", "path"), "/healthz");
    const grace = Number(podSpec(gateway).terminationGracePeriodSeconds);
    const preStop = list(at(c, "lifecycle", "preStop", "exec", "command")).map(String);
    assert.equal(preStop[0], "sleep");
    const sleep = Number(preStop[1]);
    assert.ok(sleep >= 5, "preStop sleep gives endpoint removal time to reach the ingress");
    assert.ok(grace >= 30 && grace - sleep >= 30, `grace ${grace}s leaves the drain ${grace - sleep}s`);
    // The socket drain waits up to closeGraceMs for peers to answer 1012; the rest of the grace
    // period closes the bus and Redis connections.
    assert.ok(grace - sleep >= gatewayLimits.closeGraceMs / 1000 + 10, "grace covers the socket drain");
  });

  test("a removed worker drains for WORKER_DRAIN_MS and still has time to hand runs over before the kill", () => {
    const worker = named("Deployment", "agent-worker");
    const grace = Number(podSpec(worker).terminationGracePeriodSeconds);
    const env = Object.fromEntries(
      Object.entries({ ...configMap, ...secretTemplate }).map(([k, v]) => [k, String(v)]),
    );
    const drainS = loadConfig(env).workerDrainMs / 1000;
    assert.ok(drainS >= 60, `runs get ${drainS}s to finish: model runs take a minute or two`);
    assert.ok(grace >= drainS + 15, `grace ${grace}s leaves ${grace - drainS}s after a ${drainS}s drain`);
    const [c] = containers(worker);
    assert.equal(at(c, "readinessProbe", "httpGet", "path"), "/readyz");
  });

  test("services run from the one image with the service's main module", () => {
    const services = appContainers.map((c) => String(list(c.args)[0]));
    for (const svc of ["gateway", "agent-worker", "exchange", "market-feed"]) {
      assert.ok(services.includes(`dist/services/${svc}/main.js`), svc);
    }
  });

  test("autoscaled Deployments leave the replica count to their autoscaler", () => {
    assert.equal(at(named("Deployment", "gateway"), "spec", "replicas"), undefined);
    assert.equal(at(named("Deployment", "agent-worker"), "spec", "replicas"), undefined);
    assert.equal(at(named("Deployment", "market-feed"), "spec", "replicas"), 2);
  });

  test("every workload is covered by a PodDisruptionBudget", () => {
    const budgets = kind("PodDisruptionBudget").map((m) => at(m.doc, "spec", "selector", "matchLabels"));
    for (const w of workloads) {
      const labels = at(w.doc, "spec", "template", "metadata", "labels");
      assert.ok(
        budgets.some((b) => matches(b, labels)),
        `${at(w.doc, "metadata", "name")} has no PodDisruptionBudget`,
      );
    }
  });
});

describe("gateway traffic", () => {
  test("the HPA scales the gateway 2–100 on CPU, memory and on a connection gauge the gateway exports", () => {
    const hpa = named("HorizontalPodAutoscaler", "gateway");
    assert.equal(at(hpa, "spec", "scaleTargetRef", "name"), "gateway");
    assert.equal(at(hpa, "spec", "minReplicas"), 2);
    assert.equal(at(hpa, "spec", "maxReplicas"), 100);
    const metrics = list(at(hpa, "spec", "metrics"));
    assert.ok(metrics.some((m) => at(m, "resource", "name") === "cpu"));
    assert.ok(metrics.some((m) => at(m, "resource", "name") === "memory"));
    // A resource utilization target is a share of the request: without one the HPA cannot act.
    const [c] = containers(named("Deployment", "gateway"));
    for (const resource of ["cpu", "memory"]) assert.ok(at(c, "resources", "requests", resource));
    const custom = metrics.map((m) => at(m, "pods", "metric", "name")).filter((n) => n !== undefined);
    assert.equal(custom.length, 1);
    const gatewaySources = collectTs("services/gateway").map(read).join("\n");
    assert.ok(gatewaySources.includes(`name: "${custom[0]}"`), `the gateway registers no ${custom[0]}`);
  });

  test("Prometheus scrapes the gateway's metrics listener, which the Service does not expose", () => {
    const gateway = named("Deployment", "gateway");
    const annotations = map(at(gateway, "spec", "template", "metadata", "annotations"), "annotations");
    const config = map(at(named("ConfigMap", "epl-config"), "data"), "config data");
    assert.equal(annotations["prometheus.io/port"], config.METRICS_PORT);
    assert.equal(config.METRICS_HOST, "0.0.0.0");
    const ports = list(containers(gateway)[0]!.ports).map((p) => map(p, "port"));
    assert.ok(ports.some((p) => p.name === "metrics" && String(p.containerPort) === config.METRICS_PORT));
    const servicePorts = list(at(named("Service", "gateway"), "spec", "ports")).map((p) => map(p, "port"));
    assert.ok(
      servicePorts.every((p) => String(p.targetPort) !== config.METRICS_PORT && p.targetPort !== "metrics"),
    );
  });

  test("the Ingress keeps WebSockets open for an hour and routes to the gateway's port", () => {
    const ingress = named("Ingress", "gateway");
    const annotations = map(at(ingress, "metadata", "annotations"), "annotations");
    for (const key of ["proxy-read-timeout", "proxy-send-timeout"]) {
      assert.ok(Number(annotations[`nginx.ingress.kubernetes.io/${key}`]) >= 3600, key);
    }
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-http-version"], "1.1");
    assert.ok(
      !Object.keys(annotations).some((k) => /affinity|session-cookie|upstream-hash-by/.test(k)),
      "any gateway serves any user: no sticky sessions",
    );
    const backend = at(
      list(at(list(at(ingress, "spec", "rules"))[0], "http", "paths"))[0],
      "backend",
      "service",
    );
    assert.equal(at(backend, "name"), "gateway");
    const service = named("Service", "gateway");
    const port = list(at(service, "spec", "ports")).find(
      (p) => at(p, "name") === at(backend, "port", "name"),
    );
    assert.ok(port, "the Ingress names a port of the gateway Service");
    const gateway = named("Deployment", "gateway");
    assert.ok(
      matches(at(service, "spec", "selector"), at(gateway, "spec", "template", "metadata", "labels")),
    );
    const containerPorts = list(containers(gateway)[0]!.ports).map((p) => at(p, "name"));
    assert.ok(containerPorts.includes(at(port, "targetPort")), "the Service targets the gateway's port");
  });
});

function collectTs(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return collectTs(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("NATS", () => {
  const statefulSet = named("StatefulSet", "nats");
  const headless = named("Service", String(at(statefulSet, "spec", "serviceName")));
  const namespace = String(manifests.find((m) => m.file === "infra/k8s/kustomization.yaml")?.doc.namespace);
  const replicas = Number(at(statefulSet, "spec", "replicas"));
  const [natsContainer] = containers(statefulSet);
  const port = (name: string) =>
    at(
      list(natsContainer!.ports).find((p) => at(p, "name") === name),
      "containerPort",
    );
  const nodes = Array.from({ length: replicas }, (_, i) => `${at(statefulSet, "metadata", "name")}-${i}`);

  test("a 3-node cluster behind a headless Service whose routes name every node", () => {
    assert.equal(replicas, 3);
    assert.equal(at(headless, "spec", "clusterIP"), "None");
    assert.equal(at(headless, "spec", "publishNotReadyAddresses"), true);
    const conf = read("infra/nats/nats.conf");
    const routes = /routes:\s*\[([^\]]*)\]/.exec(conf)?.[1] ?? "";
    const urls = routes.match(/nats:\/\/[^\s,]+/g) ?? [];
    const svc = at(headless, "metadata", "name");
    assert.deepEqual(
      urls.sort(),
      nodes.map((n) => `nats://${n}.${svc}:${port("cluster")}`),
    );
  });

  test("each node is named after its pod and keeps JetStream on its own volume", () => {
    const conf = read("infra/nats/nats.conf");
    assert.match(conf, /^server_name:\s*\$SERVER_NAME\s*$/m);
    const env = list(natsContainer!.env).find((e) => at(e, "name") === "SERVER_NAME");
    assert.equal(at(env, "valueFrom", "fieldRef", "fieldPath"), "metadata.name");
    const storeDir = /store_dir:\s*(\S+)/.exec(conf)?.[1];
    assert.ok(storeDir, "JetStream file storage is configured");
    const claims = list(at(statefulSet, "spec", "volumeClaimTemplates")).map((v) =>
      at(v, "metadata", "name"),
    );
    const mount = list(natsContainer!.volumeMounts).find((m) =>
      storeDir.startsWith(String(at(m, "mountPath"))),
    );
    assert.ok(mount && claims.includes(at(mount, "name")), "store_dir is on a PersistentVolumeClaim");
  });

  test("NATS_URL names nodes of the cluster on the client port", () => {
    const urls = String(configMap.NATS_URL).split(",");
    assert.equal(urls.length, replicas);
    for (const url of urls) {
      const [, node, svc, p] = /^nats:\/\/([\w-]+)\.([\w-]+):(\d+)$/.exec(url) ?? [];
      assert.ok(node && nodes.includes(node), url);
      assert.equal(svc, at(headless, "metadata", "name"));
      assert.equal(Number(p), port("client"));
    }
  });

  test("KEDA scales workers on consumers that the run queue creates, through the cluster's monitor port", () => {
    const scaled = named("ScaledObject", "agent-worker");
    assert.equal(at(scaled, "spec", "scaleTargetRef", "name"), "agent-worker");
    const names = runNames(String(configMap.STREAM_PREFIX ?? ""), String(configMap.SUBJECT_PREFIX ?? ""));
    const streamOf = new Map(
      agentNames.flatMap((a) => tiers.map((t) => [names.consumerName(a, t), names.reqStream(t)] as const)),
    );
    const triggers = list(at(scaled, "spec", "triggers")).filter((t) => at(t, "type") === "nats-jetstream");
    assert.ok(triggers.length > 0);
    const endpoint = `${at(headless, "metadata", "name")}.${namespace}.svc.cluster.local:${port("monitor")}`;
    for (const trigger of triggers) {
      const meta = map(at(trigger, "metadata"), "trigger metadata");
      assert.ok(streamOf.has(String(meta.consumer)), `no consumer ${meta.consumer}`);
      assert.equal(meta.stream, streamOf.get(String(meta.consumer)));
      assert.equal(meta.natsServerMonitoringEndpoint, endpoint);
      assert.equal(meta.account, "$G");
      assert.ok(/^[1-9]\d*$/.test(String(meta.lagThreshold)), "lagThreshold is a positive integer string");
    }
    assert.ok(triggers.some((t) => String(at(t, "metadata", "consumer")).endsWith("-pro")));
    // A backlog on a consumer without a trigger would never add a worker.
    const covered = new Set(triggers.map((t) => String(at(t, "metadata", "consumer"))));
    assert.deepEqual(
      [...streamOf.keys()].filter((c) => !covered.has(c)),
      [],
      "consumers no trigger watches",
    );
  });

  // The seed's queue thresholds: more than 1000 queued runs adds capacity, more than 5000 adds it
  // urgently. The HPA asks ceil(value / target) workers per trigger (the largest wins).
  test("workers scale past their minimum once a queue passes 1000 runs, and jump once one passes 5000", () => {
    const scaled = named("ScaledObject", "agent-worker");
    const min = Number(at(scaled, "spec", "minReplicaCount"));
    const max = Number(at(scaled, "spec", "maxReplicaCount"));
    const triggers = list(at(scaled, "spec", "triggers"));
    const asked = (target: Yaml | undefined, value: number) => Math.ceil(value / Number(target));
    for (const t of triggers.filter((t) => at(t, "type") === "nats-jetstream")) {
      const target = at(t, "metadata", "lagThreshold");
      assert.equal(asked(target, 1000), min, `${at(t, "name")}: a queue of 1000 keeps the minimum`);
      assert.ok(asked(target, 1001) > min, `${at(t, "name")}: a queue over 1000 adds workers`);
    }
    const prometheus = new Map(
      triggers
        .filter((t) => at(t, "type") === "prometheus")
        .map((t) => [String(at(t, "name")), map(at(t, "metadata"), "metadata")]),
    );
    const total = prometheus.get("queue-total");
    assert.ok(total && String(total.query).includes("queue_length"));
    assert.ok(asked(total.threshold, 1001) > min, "the workers' whole backlog over 1000 adds workers");
    const urgent = prometheus.get("queue-urgent");
    assert.ok(urgent && /queue_length.*> bool 5000\) \* (\d+)$/.test(String(urgent.query)));
    const jump = Number(/\* (\d+)$/.exec(String(urgent.query))![1]) / Number(urgent.threshold);
    const proportional = asked(at(triggers[0], "metadata", "lagThreshold"), 5001);
    assert.ok(
      jump > proportional && jump <= max,
      `a queue over 5000 asks ${jump} workers, not ${proportional}`,
    );
    const scaleUp = at(scaled, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleUp");
    assert.equal(at(scaleUp, "stabilizationWindowSeconds"), 0, "scale-up starts at once");
  });
});

const byCommand = (path: string) => composeApps.filter(([, s]) => list(s.command)[0] === path);

describe("market feed", () => {
  // A second feed is only a standby if it campaigns for the lease: FEED_ENABLED=false would leave
  // it idle and a leader's loss would stop every match.
  test("compose and Kubernetes each run a leader and a standby, both with the match clock on", () => {
    const feeds = byCommand("dist/services/market-feed/main.js");
    assert.equal(feeds.length, 2);
    for (const [name, service] of feeds) {
      assert.equal(loadConfig(composeEnv(service)).feedEnabled, true, name);
    }
    const deployment = named("Deployment", "market-feed");
    assert.equal(at(deployment, "spec", "replicas"), 2);
    for (const c of containers(deployment)) {
      const own = list(c.env).map((e) => [String(at(e, "name")), String(at(e, "value"))]);
      const env = Object.fromEntries(
        [...Object.entries({ ...configMap, ...secretTemplate }), ...own].map(([k, v]) => [k, String(v)]),
      );
      assert.equal(loadConfig(env).feedEnabled, true, String(c.name));
    }
  });
});

describe("compose", () => {
  test("runs NATS 2.10+ with JetStream, Redis, PostgreSQL and every service", () => {
    const nats = map(composeServices.nats, "nats");
    const [, major, minor] = /^nats:(\d+)\.(\d+)/.exec(String(nats.image)) ?? [];
    assert.ok(Number(major) > 2 || (Number(major) === 2 && Number(minor) >= 10), String(nats.image));
    assert.ok(list(nats.command).some((a) => a === "-js" || a === "--jetstream"));
    assert.ok(composeServices.redis && composeServices.postgres);
    assert.equal(byCommand("dist/services/gateway/main.js").length, 2);
    assert.equal(byCommand("dist/services/agent-worker/main.js").length, 2);
    assert.equal(byCommand("dist/services/exchange/main.js").length, 1);
    assert.equal(byCommand("dist/services/market-feed/main.js").length, 2);
  });

  test("JWT_SECRET must come from the shell, and development tokens are on only when asked for", () => {
    for (const [name, service] of composeApps) {
      assert.throws(() => composeEnv(service, {}), /JWT_SECRET is required/, `${name} has a default secret`);
      const config = loadConfig(composeEnv(service));
      assert.equal(config.jwtSecret, composeShell.JWT_SECRET, name);
      assert.equal(config.devTokens, false, name);
      // The local trial infra/README.md describes.
      assert.equal(loadConfig(composeEnv(service, { ...composeShell, DEV_TOKENS: "true" })).devTokens, true);
    }
  });

  test("services start after their dependencies are healthy", () => {
    for (const [name, service] of Object.entries(composeServices)) {
      for (const [dep, spec] of Object.entries(map(map(service, name).depends_on ?? {}, "depends_on"))) {
        const condition = at(spec, "condition");
        assert.ok(condition, `${name} -> ${dep} has a condition`);
        const target = map(composeServices[dep], dep);
        if (condition === "service_healthy") {
          assert.ok(target.healthcheck && at(target.healthcheck, "disable") !== true, `${dep} healthcheck`);
        }
      }
    }
    for (const [name, gateway] of byCommand("dist/services/gateway/main.js")) {
      assert.match(String(list(at(gateway, "healthcheck", "test")).at(-1)), /\/readyz/, name);
      assert.equal(composeEnv(gateway).GATEWAY_ID, name);
    }
  });
});

describe("image", () => {
  test("node:24-bookworm-slim stages, production dependencies only, a non-root user", () => {
    const from = instructions("FROM").map((i) => i.args.split(/\s+/)[0]);
    assert.ok(from.length >= 2 && from.every((f) => f === "node:24-bookworm-slim"), from.join());
    // `npm ci` then `npm prune --omit=dev`: the install applies patches/ with a dev dependency.
    assert.ok(instructions("RUN").some((i) => /npm (ci|prune)\b.*--omit=dev/.test(i.args)));
    const user = instructions("USER").at(-1)?.args;
    assert.ok(user && user !== "root" && user !== "0", `runs as ${user}`);
    assert.equal(instructions("HEALTHCHECK").length, 1);
    // Compiled in a build stage; the runtime stage runs plain JavaScript.
    assert.deepEqual(execForm("ENTRYPOINT"), ["node"]);
    assert.ok(instructions("RUN").some((i) => i.args.includes("scripts/build.mjs")));
    assert.ok(instructions("COPY").some((i) => /^--from=build\s+\/app\/dist\s/.test(i.args)));
  });

  test("the image runs in production mode with no secret and development tokens off", () => {
    const env = imageEnv();
    assert.equal(env.NODE_ENV, "production");
    const baked = [...Object.keys(env), ...instructions("ARG").map((i) => i.args.split("=")[0]!)];
    for (const secret of secretVariables) assert.ok(!baked.includes(secret), `the image sets ${secret}`);
    assert.equal(loadConfig(env).devTokens, false);
  });

  test("the image ships the EPL data with its licence", () => {
    assert.ok(copiedPaths().includes("data/epl"));
    assert.ok(existsSync(join(root, "data/epl/LICENSE-CC0.md")));
    assert.ok(!dockerIgnored("data/epl/LICENSE-CC0.md"));
  });

  test("every service the image is run with exists", () => {
    const absent = [...new Set(entryPoints())].filter((e) => !existsSync(join(root, e)));
    assert.deepEqual(absent, [], "service entry points that do not exist");
  });

  test("everything the services load is in the image and installed by `npm ci --omit=dev`", () => {
    const entries = [...new Set(entryPoints())].filter((e) => existsSync(join(root, e)));
    assert.ok(entries.length > 0, "no service entry point exists yet");
    const loaded = runtimeFiles(root, entries);
    assert.deepEqual(loaded.missing, [], "imports that name no file");
    const copied = copiedPaths();
    const outside = [...loaded.files].filter(
      (f) => !copied.some((c) => f === c || f.startsWith(`${c}/`)) || dockerIgnored(f),
    );
    assert.deepEqual(outside, [], "modules the image does not contain");
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
    const notInstalled = [...loaded.packages].filter((p) => !(p in pkg.dependencies));
    assert.deepEqual(notInstalled, [], "packages `npm ci --omit=dev` does not install");
  });
});
