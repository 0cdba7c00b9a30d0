import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { configSchema, loadConfig } from "../../shared/config.js";

// What `make dist-up` gives its processes (infra/local/dist-env.sh): a loopback development
// deployment with a JWT secret of its own that survives restarts, development tokens on, and a
// metrics port per process.

const root = fileURLToPath(new URL("../../", import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "dist-env-"));
  dirs.push(dir);
  return dir;
}

/** Sources dist-env.sh in `run` with only PATH and `env` set; its exports and its process table. */
function distEnv(run: string, env: Record<string, string> = {}) {
  const out = execFileSync(
    "bash",
    ["-c", 'source infra/local/dist-env.sh && env -0 && printf "\\0--\\0" && dist_processes && nats_nodes'],
    { cwd: root, env: { PATH: process.env.PATH!, run, ...env }, encoding: "utf8" },
  );
  const [exports, processes] = out.split("\0--\0");
  const shared = Object.fromEntries(
    exports!
      .split("\0")
      .filter((e) => e !== "")
      .map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  const table = processes!
    .trim()
    .split("\n")
    .map((line) => {
      const [name, module, ...vars] = line.split(" ");
      return { name: name!, module: module!, env: Object.fromEntries(vars.map((v) => v.split(/=(.*)/s))) };
    });
  return { shared, table };
}

const defaultSecret = (configSchema.properties.jwtSecret as { default: string }).default;

test("the deployment gets a random JWT secret of its own, kept for its restarts, and dev tokens on loopback", () => {
  const run = runDir();
  const { shared } = distEnv(run);
  const config = loadConfig(shared);
  assert.notEqual(config.jwtSecret, defaultSecret);
  assert.ok(config.jwtSecret.length >= 32, "a 256-bit secret");
  assert.equal(config.devTokens, true);
  assert.equal(config.host, "127.0.0.1");
  const file = join(run, "jwt-secret");
  assert.equal(readFileSync(file, "utf8").trim(), config.jwtSecret);
  assert.equal(statSync(file).mode & 0o777, 0o600, "only its owner reads the secret");
  // A later dist-up (or a restart) keeps it; another deployment has its own.
  assert.equal(distEnv(run).shared.JWT_SECRET, config.jwtSecret);
  assert.notEqual(distEnv(runDir()).shared.JWT_SECRET, config.jwtSecret);
});

test("JWT_SECRET and DEV_TOKENS from the environment win, and no secret file is written", () => {
  const run = runDir();
  const { shared } = distEnv(run, { JWT_SECRET: "given-secret-0123456789abcdef", DEV_TOKENS: "false" });
  assert.equal(shared.JWT_SECRET, "given-secret-0123456789abcdef");
  assert.equal(shared.DEV_TOKENS, "false");
  assert.ok(!existsSync(join(run, "jwt-secret")));
});

test("every process has a metrics port of its own, clear of the embedded default, and loads its config", () => {
  const { shared, table } = distEnv(runDir(), { GATEWAY_PORTS: "18181 18182", WORKERS: "3" });
  assert.deepEqual(
    table.map((p) => p.name),
    ["exchange-1", "worker-1", "worker-2", "worker-3", "feed-1", "feed-2", "gateway-1", "gateway-2"],
  );
  const ports = table.map((p) => Number(p.env.METRICS_PORT));
  assert.equal(new Set(ports).size, table.length, `metrics ports ${ports}`);
  assert.ok(!ports.includes(9464), "9464 is the embedded mode's");
  assert.deepEqual(
    table.filter((p) => p.name.startsWith("gateway")).map((p) => [p.env.PORT, p.env.GATEWAY_ID]),
    [
      ["18181", "gateway-1"],
      ["18182", "gateway-2"],
    ],
  );
  for (const p of table) {
    assert.ok(existsSync(join(root, p.module.replace(/^dist\/(.*)\.js$/, "$1.ts"))), p.module);
    assert.doesNotThrow(() => loadConfig({ ...shared, ...p.env }), p.name);
  }
});

test("NATS_NODES=3: three nats-servers routed to each other, and every process gets all three with 3 replicas", () => {
  const run = runDir();
  const { shared, table } = distEnv(run, { NATS_NODES: "3" });
  const nodes = table.filter((p) => p.name.startsWith("nats-"));
  assert.deepEqual(
    nodes.map((n) => n.name),
    ["nats-1", "nats-2", "nats-3"],
  );
  /** The value after `flag` in a node's nats-server arguments (its line: NAME MONITOR_PORT ARG…). */
  const line = (name: string) =>
    execFileSync("bash", ["-c", `source infra/local/dist-env.sh && nats_nodes | grep "^${name} "`], {
      cwd: root,
      env: { PATH: process.env.PATH!, run, NATS_NODES: "3" },
      encoding: "utf8",
    })
      .trim()
      .split(" ");
  const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1]!;
  const args = nodes.map((n) => line(n.name));
  const clientUrls = args.map((a) => `nats://127.0.0.1:${arg(a, "-p")}`);
  const config = loadConfig(shared);
  assert.equal(config.natsUrl, clientUrls.join(","), "every node, so a client fails over");
  assert.equal(config.natsReplicas, 3);
  for (const a of args) {
    assert.deepEqual(
      arg(a, "--routes").split(",").sort(),
      args.map((b) => arg(b, "--cluster")).sort(),
      "each node routes to every node",
    );
    assert.equal(arg(a, "--cluster_name"), "local");
    assert.ok(arg(a, "-sd").startsWith(run), "its store in the run directory");
  }
  assert.equal(new Set(args.map((a) => arg(a, "-sd"))).size, 3, "a store each");
  assert.equal(
    new Set(args.flatMap((a) => [arg(a, "-p"), arg(a, "-m"), arg(a, "--cluster").split(":")[2]])).size,
    9,
  );
});

test("without NATS_NODES the machine's NATS is used, with 1 replica", () => {
  const { shared, table } = distEnv(runDir());
  assert.equal(shared.NATS_URL, "nats://127.0.0.1:4222");
  assert.equal(loadConfig(shared).natsReplicas, 1);
  assert.ok(!table.some((p) => p.name.startsWith("nats-")));
});
