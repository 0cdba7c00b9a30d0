import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../../shared/bus/rpc/nats-rpc.js";
import type { Rpc } from "../../../shared/bus/rpc/rpc.js";
import { createRedisCache } from "../../../shared/cache/redis-cache.js";
import { createRedisRateLimiter } from "../../../shared/limits/redis-rate-limiter.js";
import { openTestRedis } from "../../../shared/limits/test-redis.js";
import { createTempDatabase } from "../../../shared/store/temp-database.js";
import { createExchangeClient } from "../../exchange/client.js";
import { createPostgresStore } from "../../exchange/store/postgres-store.js";
import { type ExchangeFixture, startExchange } from "../testing/exchange-fixture.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

describe("trading across two gateways (PostgreSQL, exchange on NATS, Redis limits and cache)", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let redis: Awaited<ReturnType<typeof openTestRedis>>;
  let redis2: Awaited<ReturnType<typeof openTestRedis>>;
  let connections: NatsConnection[];
  let rpcs: Rpc[];
  let fx: ExchangeFixture;
  let gateways: Harness[];
  let marketId: string;

  before(async () => {
    db = await createTempDatabase();
    redis = await openTestRedis();
    redis2 = await openTestRedis(undefined, redis.prefix);
    const subjectPrefix = `t${randomBytes(4).toString("hex")}.`;
    connections = await Promise.all(
      ["exchange", "gw-1", "gw-2"].map((name) => connectNats({ natsUrl }, `trading-test-${name}`)),
    );
    rpcs = connections.map((nc) => createNatsRpc(nc, { subjectPrefix }));
    fx = await startExchange({
      store: createPostgresStore(db.url, { maxConnections: 4 }),
      rpc: { client: rpcs[1]!, server: rpcs[0]! },
    });
    await connections[0]!.flush();
    // Each gateway has its own Redis connection, limiter and cache, as separate processes would.
    const sharedVia = (conn: typeof redis) => ({
      limiter: createRedisRateLimiter(conn.redis, { prefix: redis.prefix }),
      cache: createRedisCache(conn.redis, { prefix: redis.prefix }),
    });
    gateways = [
      await startGateway({ gatewayId: "gw-1" }, { exchange: fx.client, ...sharedVia(redis) }),
      await startGateway(
        { gatewayId: "gw-2" },
        { exchange: createExchangeClient(rpcs[2]!), ...sharedVia(redis2) },
      ),
    ];
    marketId = fx.marketIds[0]!;
  });
  after(async () => {
    await Promise.all(gateways.map((gw) => gw.close()));
    await fx.close();
    await Promise.all(rpcs.map((rpc) => rpc.close()));
    await Promise.all(connections.map((nc) => nc.close()));
    redis2.redis.disconnect();
    await redis.cleanup();
    await db.drop();
  });

  const auth = (user: string, tier: "free" | "pro" = "free") => ({
    authorization: `Bearer ${tokenFor(user, { tier })}`,
  });

  test("a quote and trade over WS on one gateway, then over HTTP on the other", async () => {
    const client = await TestClient.connect(gateways[0]!.wsUrl, tokenFor("d-ann"));
    client.send({ type: "quote", id: "q", marketId, outcome: "home", side: "buy", shares: 5 });
    const quote = await client.take((f) => f.id === "q");
    client.send({ type: "trade", id: "t", marketId, outcome: "home", side: "buy", shares: 5 });
    const filled = await client.take((f) => f.id === "t");
    assert.equal(filled.type, "trade.filled");
    assert.equal(filled.trade.cost, quote.cost);
    client.close();

    const second = await gateways[1]!.app.inject({
      method: "POST",
      url: "/api/trades",
      headers: auth("d-ann"),
      payload: { marketId, outcome: "home", side: "buy", shares: 5 },
    });
    assert.equal(second.statusCode, 201);
    assert.deepEqual(second.json().position.shares, 10);
    const wallet = await gateways[0]!.app.inject({
      method: "GET",
      url: "/api/wallet",
      headers: auth("d-ann"),
    });
    assert.equal(wallet.json().balance, second.json().balance);
  });

  test("a free user's 5 trades a second hold across both gateways", async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gateways[i % 2]!.app.inject({
          method: "POST",
          url: "/api/trades",
          headers: auth("d-limit"),
          payload: { marketId, outcome: "draw", side: "buy", shares: 1 },
        }),
      ),
    );
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [...Array(5).fill(201), ...Array(5).fill(429)]);
    const trades = await fx.exchange.getTrades({ userId: "d-limit" });
    assert.equal(trades.length, 5);
  });

  test("one Idempotency-Key sent to both gateways is one trade", async () => {
    const send = (gw: Harness) =>
      gw.app.inject({
        method: "POST",
        url: "/api/trades",
        headers: { ...auth("d-idem"), "idempotency-key": "order-7" },
        payload: { marketId, outcome: "away", side: "buy", shares: 3 },
      });
    const first = await send(gateways[0]!);
    const second = await send(gateways[1]!);
    assert.deepEqual([first.statusCode, second.statusCode], [201, 201]);
    assert.deepEqual(second.json(), first.json());
    assert.equal((await fx.exchange.getTrades({ userId: "d-idem" })).length, 1);
  });

  test("a balance cached by one gateway is fresh there right after a trade on the other", async () => {
    const wallet = (gw: Harness) =>
      gw.app.inject({ method: "GET", url: "/api/wallet", headers: auth("d-cache") }).then((r) => r.json());
    const cached = await wallet(gateways[1]!);
    await fx.exchange.deposit({ userId: "d-cache", amount: 25 });
    assert.deepEqual(await wallet(gateways[1]!), cached, "served from the shared cache");
    const fill = await gateways[0]!.app.inject({
      method: "POST",
      url: "/api/trades",
      headers: auth("d-cache"),
      payload: { marketId, outcome: "home", side: "buy", shares: 1 },
    });
    assert.deepEqual(await wallet(gateways[1]!), { balance: fill.json().balance, currency: "credits" });
    assert.equal(fill.json().balance, Math.round((cached.balance + 25 - fill.json().cost) * 100) / 100);
  });
});
