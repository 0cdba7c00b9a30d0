import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError, type ErrorCode } from "../../shared/errors.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { createExchange } from "./exchange.js";
import type { Exchange, ExchangeEvent } from "./exchange-interface.js";
import { createPostgresStore } from "./store/postgres-store.js";
import type { StoreWithRecords } from "./store/store.js";
import { balancedBooks as balanced, exchangeTestConfig as config } from "./testing/fixtures.js";

async function rejects(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe("exchange on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: StoreWithRecords;
  let exchange: Exchange;
  const events: ExchangeEvent[] = [];
  let matchId: string;
  let marketId: string;

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url, { maxConnections: 4 });
    await store.migrate();
    exchange = createExchange({ store, config, publish: (e) => events.push(e) });
    const opened = await exchange.openMarkets({});
    assert.ok(opened.opened >= 3 && opened.opened % 3 === 0, `opened ${opened.opened}`);
    const first = (await exchange.listMarkets({ status: "open" }))[0];
    assert.ok(first);
    matchId = first.matchId;
    marketId = `${matchId}.1x2`;
  });
  after(async () => {
    await store.close();
    await db.drop();
  });

  test("every unfinished fixture has its three markets at the model's prices, opened once", async () => {
    const markets = await exchange.listMarkets({ matchId });
    assert.deepEqual(markets.map((m) => m.kind).sort(), ["1x2", "btts", "ou25"]);
    for (const m of markets) {
      const total = Object.values(m.prices).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 0.001, `${m.marketId} prices sum to ${total}`);
      assert.ok(Object.values(m.prices).every((p) => p > 0 && p < 1));
    }
    assert.equal(markets.find((m) => m.kind === "1x2")?.liquidity, 250);
    const again = await exchange.openMarkets({});
    assert.equal(again.opened, 0);
    assert.equal((await exchange.priceHistory({ marketId })).length, 1);
    assert.deepEqual(await store.checkBooks(), balanced);
  });

  test("a quote is what the trade then costs, and the trade answers in protocol shape", async () => {
    const quote = await exchange.quote({ marketId, outcome: "draw", side: "buy", shares: 12.5 });
    const trade = await exchange.trade({
      userId: "ann",
      marketId,
      outcome: "draw",
      side: "buy",
      shares: 12.5,
    });
    assert.equal(trade.cost, quote.cost);
    assert.equal(trade.balance, Math.round((1000 - trade.cost) * 100) / 100);
    assert.deepEqual(trade.position, { shares: 12.5, avgCost: trade.avgPrice });
    assert.equal(trade.cost, Number(trade.cost.toFixed(2)));
    assert.equal((await exchange.getMarket({ marketId })).prices.draw, quote.priceAfter);
    assert.deepEqual(await exchange.getWallet({ userId: "ann" }), {
      balance: trade.balance,
      currency: "credits",
    });
    const [position] = await exchange.getPositions({ userId: "ann" });
    assert.equal(position?.shares, 12.5);
    assert.equal((await exchange.getTrades({ userId: "ann" }))[0]?.tradeId, trade.tradeId);
    assert.ok(
      events.some((e) => e.kind === "fill" && e.userId === "ann" && e.trade.tradeId === trade.tradeId),
    );
    assert.ok(events.some((e) => e.kind === "market" && e.marketId === marketId));
    assert.equal((await exchange.priceHistory({ marketId })).length, 2);
  });

  test("a trade fires the price alerts its prices reach, once, with the market event first", async () => {
    const alerts = createAlertBook(store);
    const before = (await exchange.getMarket({ marketId })).prices.away!;
    const reached = await alerts.create({
      kind: "price",
      userId: "dee",
      marketId,
      outcome: "away",
      direction: "above",
      price: Math.round((before + 0.01) * 10_000) / 10_000,
    });
    const notYet = await alerts.create({
      kind: "price",
      userId: "dee",
      marketId,
      outcome: "away",
      direction: "above",
      price: 0.99,
    });
    const from = events.length;
    await exchange.trade({ userId: "eve", marketId, outcome: "away", side: "buy", shares: 40 });
    const after = (await exchange.getMarket({ marketId })).prices.away!;
    assert.ok(after >= before + 0.01, `the buy moved away from ${before} to ${after}`);
    const fired = events.slice(from).filter((e) => e.kind === "alert");
    assert.deepEqual(fired, [
      {
        kind: "alert",
        userId: "dee",
        alert: { kind: "alert", alert: reached, trigger: { marketId, outcome: "away", price: after } },
      },
    ]);
    const kinds = events.slice(from).map((e) => e.kind);
    assert.ok(kinds.indexOf("market") < kinds.indexOf("alert"), kinds.join());
    assert.deepEqual(
      (await alerts.list("dee")).map((a) => a.alertId),
      [notYet.alertId],
    );
    await exchange.trade({ userId: "eve", marketId, outcome: "away", side: "buy", shares: 1 });
    assert.equal(events.slice(from).filter((e) => e.kind === "alert").length, 1, "an alert fires once");
  });

  test("the same idempotency key twice is one trade and the same answer", async () => {
    const request = {
      userId: "ben",
      marketId,
      outcome: "home",
      side: "buy" as const,
      shares: 3,
      idempotencyKey: "once",
    };
    const first = await exchange.trade(request);
    const second = await exchange.trade(request);
    assert.deepEqual(second, first);
    assert.equal((await exchange.getTrades({ userId: "ben" })).length, 1);
    assert.equal((await exchange.getWallet({ userId: "ben" })).balance, first.balance);
  });

  test("refused requests answer with the protocol's codes and move nothing", async () => {
    await exchange.trade({ userId: "cat", marketId, outcome: "away", side: "buy", shares: 1 });
    const books = await store.checkBooks();
    const wallet = await exchange.getWallet({ userId: "cat" });
    const trades = (await exchange.getTrades({ userId: "cat" })).length;
    const base = { userId: "cat", marketId, outcome: "away", side: "buy" as const, shares: 1 };
    await rejects(exchange.trade({ ...base, shares: 5000 }), "insufficient_funds");
    await rejects(exchange.trade({ ...base, side: "sell", shares: 2 }), "invalid_shares");
    await rejects(exchange.trade({ ...base, marketId: "no-such-market" }), "invalid_market");
    await rejects(exchange.trade({ ...base, outcome: "over" }), "invalid_outcome");
    await rejects(exchange.trade({ ...base, maxCost: 0.01 }), "price_moved");
    await rejects(exchange.trade({ ...base, side: "sell", minProceeds: 0.99 }), "price_moved");
    for (const shares of [0, -1, 0.001, 1e9])
      await rejects(exchange.trade({ ...base, shares }), "invalid_shares");
    await rejects(exchange.trade({ ...base, maxCost: 0.001 }), "bad_request");
    await rejects(exchange.trade({ ...base, side: "hold" } as never), "bad_request");
    await rejects(exchange.quote({ marketId, outcome: "away", side: "buy", shares: 0 }), "invalid_shares");
    await rejects(exchange.getMarket({ marketId: "no-such-market" }), "not_found");
    await store.setMarketStatus(marketId, "closed");
    await rejects(exchange.trade(base), "market_closed");
    await rejects(exchange.quote({ marketId, outcome: "away", side: "buy", shares: 1 }), "market_closed");
    await store.setMarketStatus(marketId, "open");
    assert.deepEqual(await exchange.getWallet({ userId: "cat" }), wallet);
    assert.equal((await exchange.getTrades({ userId: "cat" })).length, trades);
    assert.deepEqual(await store.checkBooks(), books);
  });

  test("ids PostgreSQL cannot store (a NUL, a control character) are bad requests that move nothing", async () => {
    const books = await store.checkBooks();
    const base = { userId: "nul-user", marketId, outcome: "home", side: "buy" as const, shares: 1 };
    await rejects(exchange.trade({ ...base, marketId: `${marketId}\u0000` }), "bad_request");
    await rejects(exchange.trade({ ...base, outcome: "home\u0000" }), "bad_request");
    await rejects(exchange.trade({ ...base, idempotencyKey: "k\u0000" }), "bad_request");
    await rejects(exchange.trade({ ...base, idempotencyKey: "k\u001b[0m" }), "bad_request");
    await rejects(
      exchange.quote({ marketId: "\u0000", outcome: "home", side: "buy", shares: 1 }),
      "bad_request",
    );
    await rejects(exchange.getMarket({ marketId: "\u0000" }), "bad_request");
    await rejects(exchange.priceHistory({ marketId: "\u0000" }), "bad_request");
    await rejects(exchange.listMarkets({ matchId: "\u0000" }), "bad_request");
    await rejects(exchange.openMarkets({ matchIds: ["\u0000"] }), "bad_request");
    await rejects(
      exchange.deposit({ userId: "nul-user", amount: 1, idempotencyKey: "\u0000" }),
      "bad_request",
    );
    assert.deepEqual(await exchange.getTrades({ userId: "nul-user" }), []);
    assert.deepEqual(await store.checkBooks(), books);
  });

  test("deposits add credits once per key", async () => {
    assert.deepEqual(await exchange.deposit({ userId: "dan", amount: 25.5, idempotencyKey: "d" }), {
      balance: 1025.5,
    });
    assert.deepEqual(await exchange.deposit({ userId: "dan", amount: 25.5, idempotencyKey: "d" }), {
      balance: 1025.5,
    });
    await rejects(exchange.deposit({ userId: "dan", amount: 0 }), "bad_request");
  });

  test("settlement pays 1.00 per winning share once and tells every holder", async () => {
    const settleId = `${matchId}.btts`;
    const yes = await exchange.trade({
      userId: "eve",
      marketId: settleId,
      outcome: "yes",
      side: "buy",
      shares: 10,
    });
    const no = await exchange.trade({
      userId: "fay",
      marketId: settleId,
      outcome: "no",
      side: "buy",
      shares: 4,
    });
    const first = await exchange.settle({ marketId: settleId, winner: "yes" });
    const second = await exchange.settle({ marketId: settleId, winner: "yes" });
    assert.deepEqual(first, { marketId: settleId, winner: "yes", paid: 10, alreadySettled: false });
    assert.deepEqual(second, { ...first, alreadySettled: true });
    assert.equal(
      (await exchange.getWallet({ userId: "eve" })).balance,
      Math.round((yes.balance + 10) * 100) / 100,
    );
    assert.equal((await exchange.getWallet({ userId: "fay" })).balance, no.balance);
    const settlements = events.filter((e) => e.kind === "settlement" && e.marketId === settleId);
    assert.deepEqual(
      settlements.map((e) => e.kind === "settlement" && [e.userId, e.payout]),
      [
        ["eve", 10],
        ["fay", 0],
      ],
    );
    assert.equal((await exchange.getMarket({ marketId: settleId })).status, "settled");
    await rejects(
      exchange.trade({ userId: "eve", marketId: settleId, outcome: "yes", side: "sell", shares: 1 }),
      "market_closed",
    );
    assert.deepEqual(await store.checkBooks(), balanced);
  });
});
