import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTempDatabase } from "../../../shared/store/temp-database.js";
import { createPostgresStore } from "../../exchange/store/postgres-store.js";
import { type ExchangeFixture, startExchange } from "../testing/exchange-fixture.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

/**
 * PostgreSQL cannot store a NUL in text (22021). Such strings are refused where they enter, as
 * `bad_request`, over HTTP and WebSocket alike; none reaches the database or answers `internal`.
 */
describe("strings PostgreSQL cannot store are bad requests at the gateway (PostgreSQL exchange)", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let fx: ExchangeFixture;
  let gw: Harness;
  let marketId: string;
  before(async () => {
    db = await createTempDatabase();
    fx = await startExchange({ store: createPostgresStore(db.url, { maxConnections: 2 }) });
    gw = await startGateway({}, { exchange: fx.client });
    marketId = fx.marketIds[0]!;
  });
  after(async () => {
    await gw.close();
    await fx.close();
    await db.drop();
  });

  const auth = (user: string) => ({ authorization: `Bearer ${tokenFor(user)}` });
  const order = () => ({ marketId, outcome: "home", side: "buy", shares: 2 });

  async function unchanged(userId: string, work: () => Promise<void>) {
    const books = await fx.store.checkBooks();
    const wallet = await fx.exchange.getWallet({ userId });
    await work();
    assert.deepEqual(await fx.exchange.getTrades({ userId }), []);
    assert.deepEqual(await fx.exchange.getWallet({ userId }), wallet);
    assert.deepEqual(await fx.store.checkBooks(), books);
  }

  test("HTTP: a NUL in a marketId (path, query, body) or an idempotency key (header, body)", async () => {
    await unchanged("nul-http", async () => {
      const requests = [
        { method: "GET" as const, url: "/api/markets/%00" },
        { method: "GET" as const, url: "/api/markets/m%00/history" },
        { method: "GET" as const, url: "/api/markets?matchId=%00" },
        {
          method: "POST" as const,
          url: "/api/quotes",
          payload: { ...order(), marketId: `${marketId}\u0000` },
        },
        {
          method: "POST" as const,
          url: "/api/trades",
          payload: { ...order(), marketId: `${marketId}\u0000` },
        },
        { method: "POST" as const, url: "/api/trades", payload: { ...order(), idempotencyKey: "k\u0000" } },
        {
          method: "POST" as const,
          url: "/api/trades",
          payload: order(),
          headers: { "idempotency-key": "k\u0000" },
        },
      ];
      for (const { headers, ...request } of requests) {
        const response = await gw.app.inject({ ...request, headers: { ...auth("nul-http"), ...headers } });
        assert.equal(response.statusCode, 400, `${request.method} ${request.url}: ${response.body}`);
        assert.equal(response.json().error.code, "bad_request");
      }
    });
    // The same trade without the NUL fills.
    const filled = await gw.app.inject({
      method: "POST",
      url: "/api/trades",
      headers: { ...auth("nul-http"), "idempotency-key": "k" },
      payload: order(),
    });
    assert.equal(filled.statusCode, 201, filled.body);
  });

  test("WebSocket: a NUL in a frame's marketId, idempotencyKey or id", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("nul-ws"));
    await unchanged("nul-ws", async () => {
      const frames: [Frame, string | undefined][] = [
        [{ type: "quote", id: "q", ...order(), marketId: `${marketId}\u0000` }, "q"],
        [{ type: "trade", id: "t1", ...order(), marketId: `${marketId}\u0000` }, "t1"],
        [{ type: "trade", id: "t2", ...order(), idempotencyKey: "k\u0000" }, "t2"],
        // Without an idempotencyKey the gateway derives one from the frame id.
        [{ type: "trade", id: "t\u0000", ...order() }, undefined],
      ];
      for (const [frame, id] of frames) {
        client.send(frame);
        const answer = await client.take((f) => f.type === "error" || f.type.startsWith("trade"));
        assert.deepEqual(
          [answer.type, answer.code, answer.id],
          ["error", "bad_request", id],
          JSON.stringify(frame),
        );
      }
    });
    client.send({ type: "trade", id: "t3", ...order() });
    const filled = await client.take((f) => f.id === "t3");
    assert.equal(filled.type, "trade.filled");
    client.close();
  });
});
