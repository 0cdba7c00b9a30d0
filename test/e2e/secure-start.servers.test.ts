import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createDeployment, type Deployment } from "../support/deployment.js";

/**
 * Secure defaults as an operator meets them: real processes started from their `main.ts` with
 * the built-in configuration.
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The environment of this process without any variable that would make the start safe. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    "JWT_SECRET",
    "JWT_PUBLIC_KEY",
    "DEV_TOKENS",
    "HOST",
    "PORT",
    "METRICS_HOST",
    "METRICS_PORT",
  ]) {
    delete env[name];
  }
  return { ...env, LOG_LEVEL: "info", ...extra };
}

function start(service: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ["--import", "tsx", `services/${service}/main.ts`], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const state = { child, output: "" };
  const append = (chunk: Buffer) => {
    state.output += chunk.toString();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  return state;
}

/** Starts `services/<service>/main.ts`; resolves when it exits (or is killed after `timeoutMs`). */
function runToExit(service: string, env: NodeJS.ProcessEnv, timeoutMs = 20_000) {
  const started = start(service, env);
  const { child } = started;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise<{ code: number | null; lines: string[] }>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, lines: started.output.split("\n").filter((line) => line.trim() !== "") });
    }),
  );
}

function assertRefusedForSecret(result: { code: number | null; lines: string[] }) {
  assert.equal(result.code, 1, result.lines.join("\n"));
  assert.equal(result.lines.length, 1, result.lines.join("\n"));
  const line = JSON.parse(result.lines[0]!) as { level: number; variable: string; msg: string };
  assert.equal(line.variable, "JWT_SECRET");
  assert.match(line.msg, /JWT_SECRET/);
  assert.equal(line.level, 60);
}

describe("the built-in JWT secret", () => {
  test("a gateway with the built-in JWT_SECRET exits 1 with one line naming it", async () => {
    // No NATS behind this URL: the gateway must give up before it ever needs one.
    assertRefusedForSecret(await runToExit("gateway", bareEnv({ NATS_URL: "nats://127.0.0.1:1" })));
  });

  test("embedded mode on a non-loopback HOST with the built-in JWT_SECRET exits 1 with one line naming it", async () => {
    const env = bareEnv({ HOST: "0.0.0.0", PORT: "0", METRICS_PORT: "0", DATA_DIR: "memory" });
    assertRefusedForSecret(await runToExit("embedded", env));
  });
});

describe("a gateway with a secret of its own and the other defaults", () => {
  let deployment: Deployment;
  after(() => deployment?.stop());

  test("serves no dev tokens, no /metrics on its public port, and /metrics on its metrics port", async () => {
    // DEV_TOKENS empty is unset: the default, which the test deployment otherwise overrides.
    deployment = createDeployment({ DEV_TOKENS: "" });
    const gateway = await deployment.start("gateway");
    const base = `http://127.0.0.1:${gateway.port}`;
    const devToken = await fetch(`${base}/api/auth/dev-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "mallory", tier: "pro" }),
    });
    assert.equal(devToken.status, 404);
    const publicMetrics = await fetch(`${base}/metrics`);
    assert.equal(publicMetrics.status, 404);
    assert.equal(((await publicMetrics.json()) as { error: { code: string } }).error.code, "not_found");
    const metrics = await fetch(`http://127.0.0.1:${gateway.metricsPort}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /^nodejs_heap_size_used_bytes\{service="gateway"\} \d/m);
    assert.match(text, /requests_total\{method="GET",route="unmatched",status="404",service="gateway"\}/);
  });
});
