import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * `npm run build` gives what the container image and `make dist-up` run: compiled services that
 * start with plain `node`, with their data, migrations and web client beside them.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
let platform: ChildProcess | undefined;
let base: string;
let metricsUrl: string;

/** A migration left in dist/ by an earlier build, as when one moved folders: the build must drop it. */
const staleMigration = join(root, "dist/shared/store/migrations/001_moved_away.sql");

before(async () => {
  mkdirSync(dirname(staleMigration), { recursive: true });
  writeFileSync(staleMigration, "CREATE TABLE accounts (id int);");
  await promisify(execFile)(process.execPath, ["scripts/build.mjs"], { cwd: root });
  // The defaults of `npm start`: loopback HOST, the built-in JWT_SECRET, DEV_TOKENS unset.
  const { JWT_SECRET: _secret, DEV_TOKENS: _devTokens, HOST: _host, ...inherited } = process.env;
  platform = spawn(process.execPath, ["dist/services/embedded/main.js"], {
    cwd: root,
    env: {
      ...inherited,
      PORT: "0",
      METRICS_PORT: "0",
      DATA_DIR: "memory",
      FEED_ENABLED: "false",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  for await (const chunk of platform.stdout!) {
    output += chunk;
    const ready = /"address":"(http:\/\/[^"]+)","metrics":"(http:\/\/[^"]+)"/.exec(output);
    if (ready) {
      base = ready[1]!;
      metricsUrl = ready[2]!;
      break;
    }
  }
  assert.ok(base, `the compiled platform did not start:\n${output}`);
});

after(async () => {
  if (platform?.exitCode === null) {
    platform.kill("SIGTERM");
    await once(platform, "exit");
  }
});

test("the compiled platform starts with plain node and serves the league from its data", async () => {
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  const table = await fetch(`${base}/api/standings?season=2024-25`);
  assert.equal(table.status, 200);
  const body = (await table.json()) as { table: { team: string }[] };
  assert.equal(body.table[0]?.team, "Liverpool FC");
});

test("the compiled trading desk serves its browser modules, and not the server's own", async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  assert.equal((await fetch(`${base}/app.js`)).status, 200);
  assert.equal((await fetch(`${base}/web-client.js`)).status, 404);
});

test("the compiled platform on loopback, with the built-in secret: dev tokens on, /metrics on its own listener only", async () => {
  const devToken = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "local", tier: "free" }),
  });
  assert.equal(devToken.status, 200);
  const publicMetrics = await fetch(`${base}/metrics`);
  assert.equal(publicMetrics.status, 404);
  assert.equal(((await publicMetrics.json()) as { error: { code: string } }).error.code, "not_found");
  const metrics = await fetch(metricsUrl);
  assert.equal(metrics.status, 200);
  assert.match(
    await metrics.text(),
    /requests_total\{method="POST",route="\/api\/auth\/dev-token",status="200",service="gateway"\} 1/,
  );
});

test("a rebuild leaves no file of an earlier build among the copied migrations", () => {
  assert.equal(existsSync(staleMigration), false);
});
