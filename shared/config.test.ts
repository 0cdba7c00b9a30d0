import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { ConfigError, describeConfig, loadConfig } from "./config.js";

test("defaults apply and the result is frozen", () => {
  const config = loadConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.host, "127.0.0.1");
  assert.ok(Object.isFrozen(config));
});

test("values are read from CONSTANT_CASE variables and coerced", () => {
  const config = loadConfig({ PORT: "9000", DEV_TOKENS: "false", HEARTBEAT_MS: "1000" });
  assert.equal(config.port, 9000);
  assert.equal(config.devTokens, false);
  assert.equal(config.heartbeatMs, 1000);
});

test("a bad value names the variable", () => {
  assert.throws(
    () => loadConfig({ PORT: "eighty" }),
    (err: unknown) => err instanceof ConfigError && err.variable === "PORT",
  );
  assert.throws(
    () => loadConfig({ PORT: "70000" }),
    (err: unknown) => err instanceof ConfigError && err.variable === "PORT",
  );
  assert.throws(() => loadConfig({ LOG_LEVEL: "loud" }), /LOG_LEVEL/);
  assert.throws(() => loadConfig({ JWT_SECRET: "short" }), /JWT_SECRET/);
});

test("the generated documentation lists every variable", () => {
  assert.match(describeConfig(), /\| `NATS_URL` \|/);
});

test("a command started with a bad setting prints the line naming it and exits 2", () => {
  const config = new URL("./config.ts", import.meta.url).href;
  const script = `import { loadConfigOrExit } from ${JSON.stringify(config)};
    loadConfigOrExit();
    console.log("started anyway");`;
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, PORT: "not-a-port" },
    encoding: "utf8",
  });
  assert.equal(result.status, 2);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trim(), 'configuration: PORT must be a number (got "not-a-port")');
});
