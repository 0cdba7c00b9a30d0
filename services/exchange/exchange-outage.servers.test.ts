import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError } from "../../shared/errors.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { pause, until } from "../../test/support/polling.js";
import { createExchange } from "./exchange.js";
import type { Exchange } from "./exchange-interface.js";
import { createPostgresStore } from "./store/postgres-store.js";
import type { Store } from "./store/store.js";

const config = {
  startingBalance: 1000,
  liquidityMatchResult: 100,
  liquidityOverUnder: 100,
  liquidityBtts: 100,
};

/**
 * The database goes away mid-run: its connections are terminated and it refuses new ones (the
 * shared PostgreSQL server itself keeps running for other suites), then it comes back.
 */
describe("exchange when PostgreSQL goes away", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: Store;
  let exchange: Exchange;

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url, { maxConnections: 3 });
    await store.migrate();
    exchange = createExchange({ store, config });
    await store.openMarket({
      id: "m",
      matchId: "x",
      kind: "1x2",
      title: "m",
      outcomes: ["home", "draw", "away"],
      prices: [0.4, 0.3, 0.3],
      liquidity: 100,
    });
  });
  after(async () => {
    await db.admin.unsafe(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    await store.close();
    await db.drop();
  });

  test("trades answer unavailable, and after it returns retries settle and the books balance", async () => {
    const keys: string[] = [];
    let n = 0;
    const trade = () => {
      const key = `k${++n}`;
      keys.push(key);
      return exchange.trade({
        userId: "ann",
        marketId: "m",
        outcome: "home",
        side: "buy",
        shares: 1,
        idempotencyKey: key,
      });
    };
    for (let i = 0; i < 5; i++) await trade();

    // Trades keep flowing while the database disappears.
    let running = true;
    let paused = false;
    let inFlight = false;
    const outcomes: { key: string; code?: string }[] = [];
    const load = (async () => {
      while (running) {
        if (paused) {
          // The load idles while the connections are cut; nothing is waited for here.
          await pause(10);
          continue;
        }
        inFlight = true;
        try {
          await trade();
          outcomes.push({ key: keys.at(-1) as string });
        } catch (err) {
          assert.ok(err instanceof AppError, String(err));
          outcomes.push({ key: keys.at(-1) as string, code: err.code });
        } finally {
          inFlight = false;
        }
      }
    })();
    try {
      await until(() => outcomes.length > 3, 10_000, "trades before the outage");
      // The connections are cut while idle: postgres.js 3.4.9 can crash the process with an
      // uncatchable TypeError when a backend dies while a write is queued (porsager/postgres#1208).
      paused = true;
      await until(() => !inFlight, 10_000, "the trade in flight");
      await db.admin.unsafe(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
      await db.admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${db.name}`;
      await until(
        async () => (await db.admin`SELECT 1 FROM pg_stat_activity WHERE datname = ${db.name}`).length === 0,
        10_000,
        "the connections to close",
      );
      paused = false;
      await until(
        () => outcomes.filter((o) => o.code === "unavailable").length >= 3,
        10_000,
        "unavailable answers",
      );
      await db.admin.unsafe(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      const recovered = outcomes.length;
      await until(
        () => outcomes.slice(recovered).some((o) => o.code === undefined),
        10_000,
        "a trade after recovery",
      );
    } finally {
      running = false;
      await load;
    }

    assert.deepEqual(
      [...new Set(outcomes.map((o) => o.code).filter((c) => c !== undefined))],
      ["unavailable"],
    );
    // A trade that answered unavailable may or may not have committed: its retry with the same
    // key settles that, so every key ends up as exactly one trade.
    for (const o of outcomes.filter((x) => x.code === "unavailable")) {
      await exchange.trade({
        userId: "ann",
        marketId: "m",
        outcome: "home",
        side: "buy",
        shares: 1,
        idempotencyKey: o.key,
      });
    }
    const trades = await exchange.getTrades({ userId: "ann", limit: 500 });
    assert.equal(trades.length, keys.length);
    const spent = trades.reduce((s, t) => s + Math.round(t.cost * 100), 0);
    assert.equal(Math.round((await exchange.getWallet({ userId: "ann" })).balance * 100), 100_000 - spent);
    assert.deepEqual(await store.checkBooks(), {
      ledgerSumCents: 0,
      accountsOffLedger: 0,
      negativeBalances: 0,
      underfundedMarkets: [],
      positionsOffTrades: 0,
    });
  });
});
