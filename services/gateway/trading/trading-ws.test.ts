import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ExchangeFixture, startExchange } from "../testing/exchange-fixture.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

describe("quote and trade frames (embedded exchange)", () => {
  let fx: ExchangeFixture;
  let gw: Harness;
  let marketId: string;
  before(async () => {
    fx = await startExchange();
    gw = await startGateway({}, { exchange: fx.client });
    marketId = fx.marketIds[0]!;
  });
  after(async () => {
    await gw.close();
    await fx.close();
  });

  const answerTo = (client: TestClient, id: string) => client.take((f) => f.id === id && f.type !== "pong");

  async function ledgerOf(userId: string) {
    const [wallet, trades] = await Promise.all([
      fx.exchange.getWallet({ userId }),
      fx.exchange.getTrades({ userId }),
    ]);
    return { balance: wallet.balance, trades: trades.length };
  }

  test("a quote, then the trade it priced: trade.filled in protocol shape with the new balance", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("ws-ann"));
    client.send({ type: "quote", id: "q1", marketId, outcome: "home", side: "buy", shares: 10 });
    const quote = await answerTo(client, "q1");
    assert.deepEqual(Object.keys(quote).sort(), [
      "avgPrice",
      "cost",
      "id",
      "marketId",
      "outcome",
      "priceAfter",
      "shares",
      "side",
      "type",
    ]);
    assert.equal(quote.type, "quote.result");
    assert.deepEqual(
      [quote.marketId, quote.outcome, quote.side, quote.shares],
      [marketId, "home", "buy", 10],
    );
    assert.ok(quote.cost > 0 && quote.cost < 10 && quote.avgPrice > 0 && quote.avgPrice < 1);

    client.send({ type: "trade", id: "t1", marketId, outcome: "home", side: "buy", shares: 10 });
    const filled = await answerTo(client, "t1");
    assert.equal(filled.type, "trade.filled");
    const { trade } = filled;
    assert.equal(typeof trade.tradeId, "string");
    assert.deepEqual(
      [trade.marketId, trade.outcome, trade.side, trade.shares, trade.cost, trade.avgPrice],
      [marketId, "home", "buy", 10, quote.cost, quote.avgPrice],
    );
    assert.equal(trade.balance, Math.round((1000 - quote.cost) * 100) / 100);
    assert.deepEqual(trade.position, { shares: 10, avgCost: quote.avgPrice });
    assert.deepEqual(await ledgerOf("ws-ann"), { balance: trade.balance, trades: 1 });
    client.close();
  });

  test("each rejection answers trade.rejected with its code and moves nothing (pro: 20 trades/s)", async () => {
    const closed = fx.marketIds[1]!.replace(/\.1x2$/, ".btts");
    await fx.store.setMarketStatus(closed, "closed");
    const client = await TestClient.connect(gw.wsUrl, tokenFor("ws-bob", { tier: "pro" }));
    const before = await ledgerOf("ws-bob");
    const cases: [string, Frame][] = [
      ["insufficient_funds", { marketId, outcome: "home", side: "buy", shares: 100000 }],
      ["market_closed", { marketId: closed, outcome: "yes", side: "buy", shares: 1 }],
      ["price_moved", { marketId, outcome: "draw", side: "buy", shares: 10, maxCost: 0.01 }],
      ["invalid_market", { marketId: "no-such-match.1x2", outcome: "home", side: "buy", shares: 1 }],
      ["invalid_outcome", { marketId, outcome: "banana", side: "buy", shares: 1 }],
      ["invalid_shares", { marketId, outcome: "away", side: "sell", shares: 5 }],
    ];
    for (const [code, body] of cases) {
      client.send({ type: "trade", id: `r-${code}`, ...body });
      const answer = await answerTo(client, `r-${code}`);
      assert.equal(answer.type, "trade.rejected", code);
      assert.equal(answer.code, code);
      assert.equal(typeof answer.message, "string");
    }
    assert.deepEqual(await ledgerOf("ws-bob"), before);
    assert.equal((await fx.store.checkBooks()).ledgerSumCents, 0);
    client.close();
  });

  test("a resent frame without idempotencyKey trades once and answers the same fill", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("ws-cat"));
    const frame = { type: "trade", id: "again", marketId, outcome: "draw", side: "buy", shares: 3 };
    client.send(frame);
    client.send(frame);
    const [first, second] = [await answerTo(client, "again"), await answerTo(client, "again")];
    assert.equal(first.type, "trade.filled");
    assert.deepEqual(second, first);
    client.send({ ...frame, id: "again-with-key", idempotencyKey: "k1" });
    client.send({ ...frame, id: "other-frame-same-key", idempotencyKey: "k1" });
    const keyed = [await answerTo(client, "again-with-key"), await answerTo(client, "other-frame-same-key")];
    assert.equal(keyed[0]!.trade.tradeId, keyed[1]!.trade.tradeId);
    assert.notEqual(keyed[0]!.trade.tradeId, first.trade.tradeId);
    assert.equal((await ledgerOf("ws-cat")).trades, 2);
    client.close();
  });

  test("a free user gets 5 trades a second, then rate_limited with retryAfterMs", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("ws-dan"));
    for (let i = 0; i < 7; i++)
      client.send({ type: "trade", id: `burst-${i}`, marketId, outcome: "away", side: "buy", shares: 1 });
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => answerTo(client, `burst-${i}`)));
    assert.equal(answers.filter((a) => a.type === "trade.filled").length, 5);
    const limited = answers.filter((a) => a.type === "trade.rejected");
    assert.equal(limited.length, 2);
    for (const a of limited) {
      assert.equal(a.code, "rate_limited");
      assert.ok(a.retryAfterMs > 0 && a.retryAfterMs <= 1000, String(a.retryAfterMs));
    }
    assert.equal((await ledgerOf("ws-dan")).trades, 5);
    client.close();
  });

  test("the user is the token's: a frame naming a userId is refused", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("ws-eve"));
    client.send({
      type: "trade",
      id: "spoof",
      userId: "ws-ann",
      marketId,
      outcome: "home",
      side: "buy",
      shares: 1,
    });
    const answer = await answerTo(client, "spoof");
    assert.deepEqual([answer.type, answer.code], ["error", "bad_request"]);
    client.close();
  });
});

describe("quote and trade frames without an exchange", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway();
  });
  after(() => gw.close());

  test("quotes answer an unavailable error and trades trade.rejected unavailable", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    const body = { marketId: "m.1x2", outcome: "home", side: "buy", shares: 1 };
    client.send({ type: "quote", id: "q", ...body });
    client.send({ type: "trade", id: "t", ...body });
    const quote = await client.take((f) => f.id === "q");
    const trade = await client.take((f) => f.id === "t");
    assert.deepEqual([quote.type, quote.code], ["error", "unavailable"]);
    assert.deepEqual([trade.type, trade.code], ["trade.rejected", "unavailable"]);
    client.close();
  });
});
