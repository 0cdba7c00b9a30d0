import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { type ExchangeFixture, startExchange } from "../testing/exchange-fixture.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";

describe("market and wallet HTTP routes (embedded exchange)", () => {
  let fx: ExchangeFixture;
  let gw: Harness;
  let app: FastifyInstance;
  let marketId: string;
  before(async () => {
    fx = await startExchange();
    gw = await startGateway({}, { exchange: fx.client });
    app = gw.app;
    marketId = fx.marketIds[0]!;
  });
  after(async () => {
    await gw.close();
    await fx.close();
  });

  const auth = (user: string, tier: "free" | "pro" = "pro") => ({
    authorization: `Bearer ${tokenFor(user, { tier })}`,
  });
  const get = (url: string, user?: string) =>
    app.inject({ method: "GET", url, ...(user === undefined ? {} : { headers: auth(user) }) });
  const post = (url: string, user: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url, payload: payload as object, headers: { ...auth(user), ...headers } });
  const trade = (user: string, payload: object, headers?: Record<string, string>) =>
    post("/api/trades", user, payload, headers);

  test("market data is public: list with filters, one market, its price history", async () => {
    const matchId = marketId.replace(/\.1x2$/, "");
    const list = await get(`/api/markets?matchId=${matchId}`);
    assert.equal(list.statusCode, 200);
    const markets = list.json().markets as { marketId: string; status: string; prices: object }[];
    assert.deepEqual(markets.map((m) => m.marketId).sort(), [
      `${matchId}.1x2`,
      `${matchId}.btts`,
      `${matchId}.ou25`,
    ]);
    assert.ok((await get("/api/markets?status=open")).json().markets.length >= 6);

    const one = await get(`/api/markets/${marketId}`);
    assert.equal(one.statusCode, 200);
    assert.deepEqual(Object.keys(one.json().prices).sort(), ["away", "draw", "home"]);
    const history = (await get(`/api/markets/${marketId}/history`)).json();
    assert.equal(history.marketId, marketId);
    assert.ok(history.points.length >= 1 && typeof history.points[0].at === "string");

    const missing = await get("/api/markets/no-such.1x2");
    assert.deepEqual([missing.statusCode, missing.json().error.code], [404, "not_found"]);
    const badStatus = await get("/api/markets?status=exploded");
    assert.deepEqual([badStatus.statusCode, badStatus.json().error.code], [400, "bad_request"]);
  });

  test("wallet, positions and trades need a token", async () => {
    for (const url of ["/api/wallet", "/api/positions", "/api/portfolio", "/api/trades"]) {
      const res = await get(url);
      assert.deepEqual([res.statusCode, res.json().error.code], [401, "unauthorized"], url);
    }
    const refused = await app.inject({
      method: "POST",
      url: "/api/trades",
      payload: { marketId, outcome: "home", side: "buy", shares: 1 },
    });
    assert.equal(refused.statusCode, 401);
    assert.deepEqual((await get("/api/wallet", "h-new")).json(), { balance: 1000, currency: "credits" });
  });

  test("a quote then its trade: 201 with the fill; wallet, positions and trades agree", async () => {
    const body = { marketId, outcome: "away", side: "buy", shares: 4 };
    const quote = await post("/api/quotes", "h-ann", body);
    assert.equal(quote.statusCode, 200);
    const filled = await trade("h-ann", body);
    assert.equal(filled.statusCode, 201);
    const fill = filled.json();
    assert.equal(fill.cost, quote.json().cost);
    assert.deepEqual(fill.position, { shares: 4, avgCost: quote.json().avgPrice });
    assert.deepEqual((await get("/api/wallet", "h-ann")).json(), {
      balance: fill.balance,
      currency: "credits",
    });
    const positions = (await get("/api/positions", "h-ann")).json().positions;
    assert.deepEqual(
      positions.map((p: { marketId: string; outcome: string; shares: number }) => [
        p.marketId,
        p.outcome,
        p.shares,
      ]),
      [[marketId, "away", 4]],
    );
    assert.deepEqual(
      (await get("/api/trades", "h-ann")).json().trades.map((t: { tradeId: string }) => t.tradeId),
      [fill.tradeId],
    );
  });

  test("the portfolio values the token user's positions at their sell-back quote", async () => {
    const body = { marketId, outcome: "home", side: "buy", shares: 20 };
    const fill = (await trade("h-pf", body)).json();
    const sellBack = (await post("/api/quotes", "h-pf", { ...body, side: "sell" })).json();
    const res = await get("/api/portfolio", "h-pf");
    assert.equal(res.statusCode, 200);
    const { balance, positions, totals } = res.json();
    assert.equal(balance, fill.balance);
    assert.deepEqual(
      positions.map(
        (p: { marketId: string; outcome: string; shares: number; cost: number; value: number }) => [
          p.marketId,
          p.outcome,
          p.shares,
          p.cost,
          p.value,
        ],
      ),
      [[marketId, "home", 20, fill.cost, sellBack.cost]],
    );
    assert.equal(totals.unrealisedPnl, Math.round((sellBack.cost - fill.cost) * 100) / 100);
    assert.deepEqual((await get("/api/portfolio", "h-pf-other")).json().positions, []);
    const query = await get("/api/portfolio?user=h-pf", "h-pf-other");
    assert.deepEqual([query.statusCode, query.json().error.code], [400, "bad_request"]);
  });

  test("a settled bet stays in the trade history and the portfolio, with its winner and payout", async () => {
    const settledMarket = fx.marketIds[1]!;
    const bought = (
      await trade("h-settled", { marketId: settledMarket, outcome: "draw", side: "buy", shares: 6 })
    ).json();
    await trade("h-settled", { marketId: settledMarket, outcome: "away", side: "buy", shares: 3 });
    await fx.exchange.settle({ marketId: settledMarket, winner: "draw" });
    const history = (await get("/api/trades", "h-settled")).json();
    assert.equal(history.trades.length, 2);
    assert.deepEqual(
      history.settlements.map((s: Record<string, unknown>) => [
        s.marketId,
        s.outcome,
        s.winner,
        s.shares,
        s.payout,
      ]),
      [
        [settledMarket, "away", "draw", 3, 0],
        [settledMarket, "draw", "draw", 6, 6],
      ],
    );
    const draw = history.settlements[1];
    assert.deepEqual([draw.cost, draw.pnl], [bought.cost, Math.round((6 - bought.cost) * 100) / 100]);
    assert.ok(draw.title.includes(" v ") && !Number.isNaN(Date.parse(draw.at)));
    const held = (await get("/api/portfolio", "h-settled")).json().positions;
    assert.deepEqual(
      held.map((p: Record<string, unknown>) => [p.outcome, p.status, p.winner, p.payout]),
      [
        ["away", "settled", "draw", 0],
        ["draw", "settled", "draw", 6],
      ],
    );
    assert.deepEqual((await get("/api/positions", "h-settled")).json(), { positions: [] });
  });

  test("someone else's positions and trades are never visible", async () => {
    await trade("h-own", { marketId, outcome: "draw", side: "buy", shares: 2 });
    assert.equal((await get("/api/positions", "h-own")).json().positions.length, 1);
    assert.deepEqual((await get("/api/positions", "h-other")).json(), { positions: [] });
    assert.deepEqual((await get("/api/trades", "h-other")).json(), { trades: [], settlements: [] });
    const spoof = await trade("h-other", {
      userId: "h-own",
      marketId,
      outcome: "draw",
      side: "sell",
      shares: 2,
    });
    assert.deepEqual([spoof.statusCode, spoof.json().error.code], [400, "bad_request"]);
    assert.equal((await get("/api/positions", "h-own")).json().positions[0].shares, 2);
  });

  test("the same Idempotency-Key twice is one trade with the same answer", async () => {
    const body = { marketId, outcome: "home", side: "buy", shares: 2 };
    const first = await trade("h-idem", body, { "idempotency-key": "order-1" });
    const second = await trade("h-idem", body, { "idempotency-key": "order-1" });
    assert.equal(first.statusCode, 201);
    assert.deepEqual([second.statusCode, second.json()], [201, first.json()]);
    assert.equal((await get("/api/trades", "h-idem")).json().trades.length, 1);
    const conflict = await trade(
      "h-idem",
      { ...body, idempotencyKey: "order-2" },
      { "idempotency-key": "order-1" },
    );
    assert.deepEqual([conflict.statusCode, conflict.json().error.code], [400, "bad_request"]);
  });

  test("rejections carry the registry's statuses and move nothing", async () => {
    const closed = fx.marketIds[1]!.replace(/\.1x2$/, ".ou25");
    await fx.store.setMarketStatus(closed, "closed");
    const before = (await get("/api/wallet", "h-rej")).json();
    const cases: [number, string, object][] = [
      [402, "insufficient_funds", { marketId, outcome: "home", side: "buy", shares: 100000 }],
      [409, "market_closed", { marketId: closed, outcome: "over", side: "buy", shares: 1 }],
      [409, "price_moved", { marketId, outcome: "draw", side: "buy", shares: 10, maxCost: 0.01 }],
      [422, "invalid_market", { marketId: "no-such.1x2", outcome: "home", side: "buy", shares: 1 }],
      [422, "invalid_outcome", { marketId, outcome: "banana", side: "buy", shares: 1 }],
      [422, "invalid_shares", { marketId, outcome: "away", side: "sell", shares: 5 }],
      [400, "bad_request", { marketId, outcome: "home", side: "buy", shares: 1.234 }],
      [400, "bad_request", { marketId, outcome: "home", side: "hold", shares: 1 }],
    ];
    for (const [status, code, body] of cases) {
      const res = await trade("h-rej", body);
      assert.equal(res.statusCode, status, code);
      assert.equal(res.json().error.code, code);
      assert.equal(typeof res.json().error.message, "string");
    }
    assert.deepEqual((await get("/api/wallet", "h-rej")).json(), before);
    assert.deepEqual((await get("/api/trades", "h-rej")).json(), { trades: [], settlements: [] });
  });

  test("over the trade limit: 429 with Retry-After", async () => {
    const free = { ...auth("h-limit", "free") };
    const answers = await Promise.all(
      Array.from({ length: 7 }, () =>
        app.inject({
          method: "POST",
          url: "/api/trades",
          headers: free,
          payload: { marketId, outcome: "home", side: "buy", shares: 1 },
        }),
      ),
    );
    assert.equal(answers.filter((r) => r.statusCode === 201).length, 5);
    const limited = answers.filter((r) => r.statusCode === 429);
    assert.equal(limited.length, 2);
    assert.equal(limited[0]!.json().error.code, "rate_limited");
    assert.equal(limited[0]!.headers["retry-after"], "1");
  });

  test("cached reads are served until this gateway's trade invalidates them", async () => {
    const wallet = (await get("/api/wallet", "h-cache")).json();
    const market = (await get(`/api/markets/${marketId}`)).json();
    // Changes behind the gateway's back are not seen: the answers come from the cache.
    await fx.exchange.deposit({ userId: "h-cache", amount: 50 });
    await fx.exchange.trade({ userId: "h-behind", marketId, outcome: "home", side: "buy", shares: 30 });
    assert.deepEqual((await get("/api/wallet", "h-cache")).json(), wallet);
    assert.deepEqual((await get(`/api/markets/${marketId}`)).json(), market);

    const fill = (await trade("h-cache", { marketId, outcome: "draw", side: "buy", shares: 1 })).json();
    assert.equal(fill.balance, Math.round((wallet.balance + 50 - fill.cost) * 100) / 100);
    assert.deepEqual((await get("/api/wallet", "h-cache")).json(), {
      balance: fill.balance,
      currency: "credits",
    });
    const fresh = (await get(`/api/markets/${marketId}`)).json();
    assert.deepEqual(fresh, await fx.exchange.getMarket({ marketId }));
    assert.notDeepEqual(fresh.prices, market.prices);
  });
});
