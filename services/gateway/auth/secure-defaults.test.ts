import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../../shared/config.js";
import { builtInJwtSecret, isLoopbackHost, secureDefaults } from "./secure-defaults.js";

const ownSecret = "a-secret-of-our-own-0123456789";

test("a distributed gateway refuses the built-in JWT secret, naming JWT_SECRET", () => {
  const { refusal } = secureDefaults(loadConfig({}), "distributed");
  assert.equal(refusal?.variable, "JWT_SECRET");
  assert.match(refusal?.message ?? "", /JWT_SECRET/);
  // On loopback too: its peers are other processes, reachable by whoever reaches the bus.
  assert.notEqual(secureDefaults(loadConfig({ HOST: "127.0.0.1" }), "distributed").refusal, undefined);
});

test("embedded mode accepts the built-in secret on a loopback address only", () => {
  assert.equal(secureDefaults(loadConfig({}), "embedded").refusal, undefined);
  assert.equal(secureDefaults(loadConfig({ HOST: "localhost" }), "embedded").refusal, undefined);
  const exposed = secureDefaults(loadConfig({ HOST: "0.0.0.0" }), "embedded").refusal;
  assert.equal(exposed?.variable, "JWT_SECRET");
  assert.match(exposed?.message ?? "", /JWT_SECRET.*0\.0\.0\.0/);
});

test("a secret of one's own is accepted everywhere", () => {
  for (const mode of ["embedded", "distributed"] as const) {
    const config = loadConfig({ HOST: "0.0.0.0", JWT_SECRET: ownSecret });
    assert.equal(secureDefaults(config, mode).refusal, undefined);
  }
  assert.equal(builtInJwtSecret, loadConfig({}).jwtSecret);
});

test("dev tokens: unset means embedded on loopback only; DEV_TOKENS decides when set", () => {
  const devTokens = (env: Record<string, string>, mode: "embedded" | "distributed") =>
    secureDefaults(loadConfig(env), mode).devTokens;
  assert.equal(devTokens({}, "embedded"), true);
  assert.equal(devTokens({}, "distributed"), false);
  assert.equal(devTokens({ HOST: "0.0.0.0" }, "embedded"), false);
  assert.equal(devTokens({ DEV_TOKENS: "true" }, "distributed"), true);
  assert.equal(devTokens({ DEV_TOKENS: "true", HOST: "0.0.0.0" }, "embedded"), true);
  assert.equal(devTokens({ DEV_TOKENS: "false" }, "embedded"), false);
});

test("loopback addresses", () => {
  for (const host of [
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "LOCALHOST",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of [
    "0.0.0.0",
    "::",
    "[::]",
    "10.0.0.1",
    "192.168.1.10",
    "example.com",
    "",
    "::2",
    "128.0.0.1",
  ]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});
