import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";
import { type OwnedServer, startNatsServer, startRedisServer } from "../support/owned-servers.js";
import { until } from "../support/polling.js";

/**
 * Start-up with dependencies missing (docs/architecture.md, "Failure and overload, by design"),
 * with real processes: an exchange started before its database exists and while NATS is down
 * says so in one line each — the dependency and the problem, no stack trace — waits, its ops
 * listener's `/readyz` naming what it waits for, and serves once they come, without a restart.
 * A gateway started without Redis serves (its limits counted in process) and is ready with Redis
 * listed as degraded; it is ready only while an exchange answers.
 */
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

describe("start-up with a dependency missing", () => {
  let nats: OwnedServer;
  let deployment: Deployment;
  let firstExchange: ServiceProcess | undefined;
  const database = `missing_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });

  before(async () => {
    nats = await startNatsServer();
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    deployment = createDeployment(
      { NATS_URL: nats.url, DATABASE_URL: url.toString(), LOG_LEVEL: "info" },
      { readyTimeoutMs: 40_000 },
    );
  });
  after(async () => {
    await deployment.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end({ timeout: 1 });
    await nats.stop();
  });

  test("an exchange started before its database and NATS logs one line for each and serves once they come", async () => {
    await nats.kill("SIGKILL");
    const exchange = await deployment.launch("exchange");
    firstExchange = exchange;
    const postgresLine = new RegExp(
      `"dependency":"postgres","problem":"database \\\\"${database}\\\\" does not exist`,
    );
    await exchange.waitFor(postgresLine, 30_000);
    const ops = opsUrl(exchange);
    const waiting = await fetch(`${ops}/readyz`);
    assert.equal(waiting.status, 503);
    assert.deepEqual(await waiting.json(), {
      error: { code: "unavailable", message: "not ready: postgres, nats" },
      checks: { postgres: false, nats: false },
    });

    await admin.unsafe(`CREATE DATABASE ${database}`);
    await exchange.waitFor(/"dependency":"nats","problem":"[^"]+","retryInMs"/, 30_000);
    await nats.restart();
    await exchange.waitFor(/"msg":"serving"/, 30_000);
    await until(() => answers(`${ops}/readyz`, 200), 5_000, "the exchange ready");

    const lines = exchange.output().split("\n");
    assert.equal(lines.filter((l) => postgresLine.test(l)).length, 1, "one line for the missing database");
    assert.equal(lines.filter((l) => /"dependency":"nats","problem"/.test(l)).length, 1, "one line for NATS");
    assert.ok(!exchange.output().includes('"stack"'), "no stack trace");
    assert.equal(exchange.child.exitCode, null, "still running");
  });

  test("a gateway started without Redis serves, degraded, and is not ready while no exchange answers", async () => {
    const redis = await startRedisServer();
    await redis.kill("SIGKILL");
    try {
      const gateway = await deployment.start("gateway", { REDIS_URL: redis.url });
      const readyz = `http://127.0.0.1:${gateway.port}/readyz`;
      // The exchange of the test before serves: ready, Redis listed as degraded (limits count here).
      await until(() => answers(readyz, 200), 20_000, "the gateway ready");
      assert.deepEqual(((await (await fetch(readyz)).json()) as { degraded?: string[] }).degraded, ["redis"]);
      await gateway.waitFor(/"dependency":"redis","problem":"connect ECONNREFUSED/);
      await redis.restart();
      await until(
        async () => ((await (await fetch(readyz)).json()) as { degraded?: string[] }).degraded === undefined,
        2_000,
        "Redis no longer degraded",
      );

      assert.ok(firstExchange, "the exchange of the test before");
      firstExchange.kill("SIGTERM");
      await firstExchange.exited;
      await until(() => answers(readyz, 503), 20_000, "the gateway unready");
      const unready = await fetch(readyz);
      assert.deepEqual(((await unready.json()) as { error: unknown }).error, {
        code: "unavailable",
        message: "not ready: exchange",
      });

      const again = await deployment.start("exchange");
      const serving = Date.now();
      await until(() => answers(readyz, 200), 2_000, "the gateway ready again");
      assert.ok(Date.now() - serving <= 2_000);
      assert.equal(again.child.exitCode, null);
      assert.equal(gateway.child.exitCode, null);
    } finally {
      await redis.stop();
    }
  });
});

function opsUrl(service: ServiceProcess): string {
  const match = /"ops":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(service.output());
  assert.ok(match, "the ops listener's address is logged");
  return match[1]!;
}

/** Whether `url` answers `status`; a process not listening yet refuses the connection, which is a no. */
function answers(url: string, status: number): Promise<boolean> {
  return fetch(url).then(
    (response) => response.status === status,
    () => false,
  );
}
