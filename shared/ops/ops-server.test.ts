import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Registry } from "prom-client";
import { pause } from "../../test/support/polling.js";
import { buildOpsServer } from "./ops-server.js";
import { cachedProbe } from "./readiness.js";

test("/healthz answers; /readyz names each dependency that is down, then answers ready", async () => {
  const state = { postgres: false, nats: true };
  const ops = buildOpsServer({ readiness: async () => ({ ...state }) });
  assert.deepEqual((await ops.inject({ url: "/healthz" })).json(), { status: "ok" });
  const down = await ops.inject({ url: "/readyz" });
  assert.equal(down.statusCode, 503);
  assert.deepEqual(down.json(), {
    error: { code: "unavailable", message: "not ready: postgres" },
    checks: { postgres: false, nats: true },
  });
  state.postgres = true;
  const up = await ops.inject({ url: "/readyz" });
  assert.equal(up.statusCode, 200);
  assert.deepEqual(up.json(), { status: "ready", checks: { postgres: true, nats: true } });
  await ops.close();
});

test("a degradable dependency that is down is reported but leaves the process ready", async () => {
  const ops = buildOpsServer({
    readiness: async () => ({ nats: true, redis: false }),
    degradable: ["redis"],
  });
  const answer = await ops.inject({ url: "/readyz" });
  assert.equal(answer.statusCode, 200);
  assert.deepEqual(answer.json(), {
    status: "ready",
    checks: { nats: true, redis: false },
    degraded: ["redis"],
  });
  await ops.close();
});

test("a readiness check that throws is not ready; unknown paths answer in the protocol's shape", async () => {
  const ops = buildOpsServer({
    readiness: async () => {
      throw new Error("broken");
    },
  });
  const answer = await ops.inject({ url: "/readyz" });
  assert.equal(answer.statusCode, 503);
  assert.equal(answer.json().error.message, "not ready: readiness");
  const missing = await ops.inject({ url: "/nope" });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, "not_found");
  assert.equal((await ops.inject({ url: "/metrics" })).statusCode, 404, "no registry, no /metrics");
  await ops.close();
});

test("with a registry, /metrics serves it", async () => {
  const registry = new Registry();
  new Counter({ name: "ops_test_total", help: "a test counter", registers: [registry] }).inc(3);
  const ops = buildOpsServer({ readiness: async () => ({}), registry });
  const metrics = await ops.inject({ url: "/metrics" });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.body, /ops_test_total 3/);
  await ops.close();
});

test("a probe runs at most once per ttl, and a slow or failing one answers false", async () => {
  let runs = 0;
  const ttlMs = 50;
  const probe = cachedProbe(
    async () => {
      runs++;
    },
    { ttlMs },
  );
  assert.equal(await probe(), true);
  assert.equal(await probe(), true);
  assert.equal(runs, 1);
  // Past the ttl: the answer is stale and the next call runs the probe again.
  await pause(ttlMs + 10);
  await probe();
  assert.equal(runs, 2);
  // A probe that takes ten times its timeout.
  const slow = cachedProbe(() => pause(200), { timeoutMs: 20 });
  assert.equal(await slow(), false);
  const failing = cachedProbe(async () => {
    throw new Error("down");
  });
  assert.equal(await failing(), false);
});

test("a draining process is not ready whatever its dependencies, and still serves /healthz and /metrics", async () => {
  let draining = false;
  const registry = new Registry();
  const ops = buildOpsServer({ readiness: async () => ({ nats: true }), registry, draining: () => draining });
  assert.equal((await ops.inject({ url: "/readyz" })).statusCode, 200);
  draining = true;
  const answer = await ops.inject({ url: "/readyz" });
  assert.equal(answer.statusCode, 503);
  assert.deepEqual(answer.json(), { error: { code: "unavailable", message: "draining" } });
  assert.equal((await ops.inject({ url: "/healthz" })).statusCode, 200);
  assert.equal((await ops.inject({ url: "/metrics" })).statusCode, 200);
  await ops.close();
});
