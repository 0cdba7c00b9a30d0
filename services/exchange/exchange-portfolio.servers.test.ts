import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError } from "../../shared/errors.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { createExchange } from "./exchange.js";
import type { Exchange } from "./exchange-interface.js";
import { createPostgresStore } from "./store/postgres-store.js";
import type { Store } from "./store/store.js";
import { balancedBooks, exchangeTestConfig as config } from "./testing/fixtures.js";

const credits = (x: number) => Math.round(x * 100) / 100;

describe("exchange portfolio on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: Store;
  let exchange: Exchange;
  let marketId: string;

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url, { maxConnections: 4 });
    await store.migrate();
    exchange = createExchange({ store, config });
    await exchange.openMarkets({});
    const first = (await exchange.listMarkets({ status: "open" }))[0];
    assert.ok(first);
    marketId = `${first.matchId}.ou25`;
  });
  after(async () => {
    await store.close();
    await db.drop();
  });

  test("bought, marked up by others' buys, partly sold, settled: value, P&L and payout follow", async () => {
    const buy = await exchange.trade({
      userId: "pf-ann",
      marketId,
      outcome: "over",
      side: "buy",
      shares: 80,
    });
    const opening = await exchange.getPortfolio({ userId: "pf-ann" });
    const quoted = await exchange.quote({ marketId, outcome: "over", side: "sell", shares: 80 });
    assert.deepEqual(
      opening.positions.map((p) => [p.marketId, p.outcome, p.status, p.shares, p.cost, p.value]),
      [[marketId, "over", "open", 80, buy.cost, quoted.cost]],
    );
    assert.equal(opening.balance, buy.balance);

    await exchange.trade({ userId: "pf-bob", marketId, outcome: "over", side: "buy", shares: 200 });
    const marked = await exchange.getPortfolio({ userId: "pf-ann" });
    const [up] = marked.positions;
    assert.ok(up && up.price > (opening.positions[0]?.price ?? 1), "the price rose");
    assert.equal(
      up.value,
      (await exchange.quote({ marketId, outcome: "over", side: "sell", shares: 80 })).cost,
    );
    assert.equal(up.unrealisedPnl, credits(up.value - buy.cost));
    assert.ok(up.unrealisedPnl > 0, `unrealised ${up.unrealisedPnl}`);
    assert.equal(marked.totals.equity, credits(buy.balance + up.value));

    const sold = await exchange.trade({
      userId: "pf-ann",
      marketId,
      outcome: "over",
      side: "sell",
      shares: 30,
    });
    const afterSell = await exchange.getPortfolio({ userId: "pf-ann" });
    const [held] = afterSell.positions;
    const costLeft = sold.position.avgCost * 50;
    assert.equal(held?.shares, 50);
    assert.ok(held && Math.abs(held.realisedPnl - (sold.cost - (buy.cost - costLeft))) <= 0.01);
    assert.ok(held.realisedPnl > 0, "sold above cost");

    await exchange.settle({ marketId, winner: "over" });
    const settled = await exchange.getPortfolio({ userId: "pf-ann" });
    const [done] = settled.positions;
    assert.deepEqual(
      [done?.status, done?.winner, done?.shares, done?.payout, done?.value, done?.unrealisedPnl],
      ["settled", "over", 50, 50, 0, 0],
    );
    assert.equal(done?.realisedPnl, credits(sold.cost + 50 - buy.cost));
    assert.equal(settled.balance, credits(1000 - buy.cost + sold.cost + 50));
    assert.deepEqual(
      [settled.totals.cost, settled.totals.value, settled.totals.pnl],
      [0, 0, credits(settled.balance - 1000)],
    );
    const bob = (await exchange.getPortfolio({ userId: "pf-bob" })).positions[0];
    assert.equal(bob?.payout, 200);
    assert.deepEqual(await store.checkBooks(), balancedBooks);
  });

  test("a user who never traded has an empty portfolio and the starting balance", async () => {
    assert.deepEqual(await exchange.getPortfolio({ userId: "pf-new" }), {
      balance: 1000,
      positions: [],
      totals: { cost: 0, value: 0, unrealisedPnl: 0, realisedPnl: 0, pnl: 0, equity: 1000 },
    });
    await assert.rejects(
      exchange.getPortfolio({ userId: "pf-new", extra: 1 } as never),
      (err: unknown) => err instanceof AppError && err.code === "bad_request",
    );
  });
});
