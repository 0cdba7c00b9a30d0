import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadDataset } from "../../shared/epl/dataset.js";
import { AppError } from "../../shared/errors.js";
import { createExchange } from "./exchange.js";
import type { Exchange, ExchangeEvent } from "./exchange-interface.js";
import { createPgliteStore } from "./store/pglite-store.js";
import type { Store } from "./store/store.js";
import { balancedBooks as balanced, exchangeTestConfig as config } from "./testing/fixtures.js";

describe("in-play repricing", () => {
  const fixture = loadDataset().matches.find((m) => m.season === "2025-26" && m.status === "scheduled")!;
  const marketId = `${fixture.id}.1x2`;
  let store: Store;
  let exchange: Exchange;
  const events: ExchangeEvent[] = [];

  before(async () => {
    store = createPgliteStore("memory");
    await store.migrate();
    exchange = createExchange({ store, config, publish: (e) => events.push(e) });
    await exchange.openMarkets({ matchIds: [fixture.id] });
  });
  after(() => store.close());

  test("a reprice moves the quoted prices to the target and publishes them", async () => {
    await exchange.trade({ userId: "ann", marketId, outcome: "home", side: "buy", shares: 40 });
    const target = { home: 0.7, draw: 0.2, away: 0.1 };
    const view = await exchange.reprice({ marketId, prices: target });
    assert.deepEqual(view.prices, target);
    assert.deepEqual((await exchange.getMarket({ marketId })).prices, target);
    const quote = await exchange.quote({ marketId, outcome: "draw", side: "buy", shares: 10 });
    assert.ok(Math.abs(quote.avgPrice - 0.2) < 0.01, `avgPrice ${quote.avgPrice}`);
    assert.deepEqual(events.at(-1), { kind: "market", marketId, status: "open", prices: target });
    assert.deepEqual((await exchange.priceHistory({ marketId })).at(-1)?.prices, target);
    assert.deepEqual(await store.checkBooks(), balanced);
  });

  test("a suspended market refuses trades and quotes until it reopens", async () => {
    const suspended = await exchange.setMarketStatus({ marketId, status: "suspended" });
    assert.equal(suspended.status, "suspended");
    assert.deepEqual(events.at(-1), {
      kind: "market",
      marketId,
      status: "suspended",
      prices: suspended.prices,
    });
    const trade = exchange.trade({ userId: "bob", marketId, outcome: "away", side: "buy", shares: 1 });
    await assert.rejects(trade, (err) => err instanceof AppError && err.code === "market_closed");
    await assert.rejects(
      exchange.quote({ marketId, outcome: "away", side: "buy", shares: 1 }),
      (err) => err instanceof AppError && err.code === "market_closed",
    );
    const repriced = await exchange.reprice({ marketId, prices: { home: 0.5, draw: 0.3, away: 0.2 } });
    assert.equal(repriced.status, "suspended");
    await exchange.setMarketStatus({ marketId, status: "open" });
    await exchange.trade({ userId: "bob", marketId, outcome: "away", side: "buy", shares: 1 });
  });

  test("after random trades and reprices the books balance and the escrow covers every payout", async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const outcomes = ["home", "draw", "away"];
    const users = ["u1", "u2", "u3"];
    for (let step = 0; step < 60; step++) {
      if (step % 6 === 5) {
        const w = outcomes.map(() => random() + 0.001);
        const total = w.reduce((a, b) => a + b, 0);
        await exchange.reprice({
          marketId,
          prices: Object.fromEntries(outcomes.map((o, i) => [o, w[i]! / total])),
        });
      } else {
        const userId = users[Math.floor(random() * users.length)]!;
        const outcome = outcomes[Math.floor(random() * outcomes.length)]!;
        const held = (await exchange.getPositions({ userId })).find(
          (p) => p.marketId === marketId && p.outcome === outcome,
        );
        const shares = Math.round(random() * 3000) / 100 + 0.01;
        if (held && random() < 0.4) {
          const sold = Math.min(held.shares, shares);
          await exchange.trade({ userId, marketId, outcome, side: "sell", shares: sold });
        } else {
          await exchange.trade({ userId, marketId, outcome, side: "buy", shares });
        }
      }
      assert.deepEqual(await store.checkBooks(), balanced, `after step ${step}`);
    }
    const market = (await store.market(marketId))!;
    assert.ok(market.escrowCents >= Math.max(...market.lmsr.sold));
    const winner = outcomes[Math.floor(random() * outcomes.length)]!;
    const settled = await exchange.settle({ marketId, winner });
    assert.equal(settled.alreadySettled, false);
    assert.deepEqual(await store.checkBooks(), balanced);
    await assert.rejects(
      exchange.reprice({ marketId, prices: { home: 0.4, draw: 0.3, away: 0.3 } }),
      (err) => err instanceof AppError && err.code === "market_closed",
    );
  });

  test("the escrow tracks what the worst outcome would cost, in both directions", async () => {
    const btts = `${fixture.id}.btts`;
    await exchange.trade({ userId: "cat", marketId: btts, outcome: "yes", side: "buy", shares: 100 });
    // Buying "yes" heavily then making it near-certain needs the most escrow; the reverse needs less.
    const tight = await store.reprice(btts, [0.99, 0.01]);
    const loose = await store.reprice(btts, [0.01, 0.99]);
    assert.ok(tight.escrowCents < loose.escrowCents, `${tight.escrowCents} < ${loose.escrowCents}`);
    const opening = await store.reprice(btts, [0.5, 0.5]);
    // h_yes = 10000 hundredths; b = 200: R = 10000 + ceil(100·200·ln 2) + 1.
    assert.equal(opening.escrowCents, 10_000 + Math.ceil(100 * 200 * Math.log(2)) + 1);
    assert.deepEqual(await store.checkBooks(), balanced);
  });
});
