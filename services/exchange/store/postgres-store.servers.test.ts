import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { AppError } from "../../../shared/errors.js";
import { createTempDatabase } from "../../../shared/store/temp-database.js";
import { prices } from "../pricing/lmsr.js";
import { createPostgresStore } from "./postgres-store.js";
import { storeContract } from "./store.contract.js";
import type { BooksReport, Store } from "./store.js";

storeContract("PostgreSQL", async () => {
  const db = await createTempDatabase();
  const store = createPostgresStore(db.url);
  return {
    store,
    async dispose() {
      await store.close();
      await db.drop();
    },
  };
});

describe("PostgreSQL ledger", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let sql: postgres.Sql;
  before(async () => {
    db = await createTempDatabase();
    const store = createPostgresStore(db.url);
    await store.migrate();
    await store.ensureUser("alice", 1000);
    await store.close();
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql.end();
    await db.drop();
  });

  test("ledger entries can be neither changed nor deleted", async () => {
    await assert.rejects(sql`UPDATE ledger_entries SET amount_cents = 1`, /append-only/);
    await assert.rejects(sql`DELETE FROM ledger_entries`, /append-only/);
    await assert.rejects(sql`TRUNCATE ledger_entries`, /append-only/);
    assert.equal((await sql`SELECT count(*)::int AS n FROM ledger_entries`)[0]?.n, 2);
  });

  test("a user balance can never go below zero", async () => {
    await assert.rejects(
      sql`UPDATE accounts SET balance_cents = -1 WHERE id = 'user:alice'`,
      /balance_not_negative/,
    );
  });
});

const balancedBooks: BooksReport = {
  ledgerSumCents: 0,
  accountsOffLedger: 0,
  negativeBalances: 0,
  underfundedMarkets: [],
  positionsOffTrades: 0,
};

describe("PostgreSQL trades from two processes on one market", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let stores: [Store, Store];
  before(async () => {
    db = await createTempDatabase();
    // Two stores with their own pools, as two exchange processes would have.
    stores = [createPostgresStore(db.url), createPostgresStore(db.url)];
    await stores[0].migrate();
    await stores[0].openMarket({
      id: "two.1x2",
      matchId: "two",
      kind: "1x2",
      title: "two",
      outcomes: ["home", "draw", "away"],
      prices: [0.5, 0.3, 0.2],
      liquidity: 100,
    });
    for (const user of ["ann", "bob"]) await stores[0].ensureUser(user, 100_000);
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  });

  const buy = (store: Store, userId: string, hundredths: number, idempotencyKey?: string) =>
    store.trade({
      userId,
      marketId: "two.1x2",
      outcome: "home",
      side: "buy",
      hundredths,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });

  test("each trade is priced from the market as the other process left it", async () => {
    const first = await buy(stores[0], "ann", 500);
    const second = await buy(stores[1], "bob", 500);
    // The first process traded this market last before the second did: it must not price from that.
    const third = await buy(stores[0], "ann", 500);
    assert.ok(second.cents > first.cents && third.cents > second.cents, "each buy of home costs more");
    const reference = await buy(stores[1], "bob", 500);
    const market = await stores[0].market("two.1x2");
    assert.deepEqual(market?.lmsr.sold, [2000, 0, 0]);
    assert.deepEqual(market && prices(market.lmsr), reference.prices);
    assert.deepEqual(await stores[0].checkBooks(), balancedBooks);
  });

  test("a market suspended by the other process refuses the next trade here", async () => {
    await buy(stores[0], "ann", 100);
    await stores[1].setMarketStatus("two.1x2", "suspended");
    await assert.rejects(buy(stores[0], "ann", 100), (err: unknown) => {
      return err instanceof AppError && err.code === "market_closed";
    });
    await stores[1].setMarketStatus("two.1x2", "open");
    await buy(stores[0], "ann", 100);
  });

  test("a key used here and replayed answers the first trade, from either process", async () => {
    const filled = await buy(stores[0], "ann", 100, "replayed-key");
    for (const store of stores) {
      const again = await buy(store, "ann", 100, "replayed-key");
      assert.equal(again.replayed, true);
      assert.equal(again.tradeId, filled.tradeId);
    }
  });

  test("concurrent trades of both processes on one market all fill, and the books balance", async () => {
    const before = (await stores[0].market("two.1x2"))!.lmsr.sold[0]!;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => buy(stores[i % 2]!, i % 4 < 2 ? "ann" : "bob", 10)),
    );
    assert.equal((await stores[1].market("two.1x2"))!.lmsr.sold[0], before + 400);
    assert.deepEqual(await stores[1].checkBooks(), balancedBooks);
  });
});
