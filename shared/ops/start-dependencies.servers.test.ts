import assert from "node:assert/strict";
import { after, test } from "node:test";
import { startNatsServer } from "../../test/support/owned-servers.js";
import { until } from "../../test/support/polling.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { sampleValue } from "../metrics/prometheus-text.js";
import { createPostgresAgentRecords } from "../store/agent-records-database.js";
import { createTempDatabase } from "../store/temp-database.js";
import { startDependencies } from "./start-dependencies.js";

const nats = await startNatsServer();
const db = await createTempDatabase();
after(async () => {
  await nats.stop();
  await db.drop();
});

test("a service's /metrics reports dependency_up per dependency, 0 while NATS is gone and 1 once it is back", async () => {
  const config = loadConfig(
    {},
    { natsUrl: nats.url, databaseUrl: db.url, metricsHost: "127.0.0.1", metricsPort: 0 },
  );
  const store = createPostgresAgentRecords(config.databaseUrl, { maxConnections: 2 });
  const { nc, ops } = await startDependencies(config, createLogger({ logLevel: "silent" }), {
    service: "exchange",
    database: store,
  });
  const up = async (dependency: string) => {
    const response = await ops.inject({ method: "GET", url: "/metrics" });
    assert.equal(response.statusCode, 200);
    return sampleValue(response.body, "dependency_up", { service: "exchange", dependency });
  };
  try {
    assert.equal(await up("nats"), 1);
    assert.equal(await up("postgres"), 1);
    assert.match(
      (await ops.inject({ method: "GET", url: "/metrics" })).body,
      /nodejs_eventloop_lag_p99_seconds\{service="exchange"\}/,
    );

    await nats.kill("SIGKILL");
    await until(async () => (await up("nats")) === 0, 10_000, "dependency_up{nats} to drop to 0");
    assert.equal(await up("postgres"), 1, "PostgreSQL is still there");

    await nats.restart();
    await until(async () => (await up("nats")) === 1, 15_000, "dependency_up{nats} to come back to 1");
  } finally {
    await ops.close();
    await nc.close();
    await store.close();
  }
});
