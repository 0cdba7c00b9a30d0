import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import postgres from "postgres";
import {
  type OwnedPostgres,
  type OwnedServer,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "./owned-servers.js";

/** The fault tests rely on these servers dying for real and coming back with their data. */
describe("servers owned by a test", { concurrency: true }, () => {
  const owned: OwnedServer[] = [];
  after(async () => {
    await Promise.all(owned.map((s) => s.stop()));
  });

  test("PostgreSQL: an immediate stop drops connections; after restart committed rows are there", async () => {
    const pg: OwnedPostgres = await startPostgresServer();
    owned.push(pg);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    try {
      await sql`CREATE TABLE t (n int)`;
      await sql`INSERT INTO t VALUES (1)`;
      await pg.crash();
      await assert.rejects(sql`SELECT 1`);
      await pg.restart();
      assert.deepEqual([...(await sql`SELECT n FROM t`)], [{ n: 1 }]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test("Redis: kill -9 refuses connections; restart answers again on the same port", async () => {
    const redis = await startRedisServer();
    owned.push(redis);
    const probe = () => {
      const client = new Redis(redis.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      return client.connect().then(
        async () => {
          const pong = await client.ping();
          client.disconnect();
          return pong;
        },
        (err: Error) => {
          client.disconnect();
          return `refused: ${err.message}`;
        },
      );
    };
    assert.equal(await probe(), "PONG");
    await redis.kill("SIGKILL");
    assert.match(await probe(), /^refused/);
    await redis.restart();
    assert.equal(await probe(), "PONG");
  });

  test("NATS: kill -9 and restart keeps JetStream's store", async () => {
    const nats = await startNatsServer();
    owned.push(nats);
    const { jetstreamManager } = await import("@nats-io/jetstream");
    let nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: "KEEP", subjects: ["keep.>"] });
    await nc.close();
    await nats.kill("SIGKILL");
    await assert.rejects(connect({ servers: nats.url, reconnect: false }));
    await nats.restart();
    nc = await connect({ servers: nats.url });
    try {
      assert.equal((await (await jetstreamManager(nc)).streams.info("KEEP")).config.name, "KEEP");
    } finally {
      await nc.close();
    }
  });
});
