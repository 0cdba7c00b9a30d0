import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { connectReadOnly } from "../../../shared/store/postgres-database.js";
import {
  type OwnedPostgres,
  startPostgresServer,
  startPostgresStandby,
} from "../../../test/support/owned-servers.js";
import { until } from "../../../test/support/polling.js";
import { createPostgresStore } from "./postgres-store.js";
import type { Store } from "./store.js";

const marketId = "replica.1x2";

/**
 * The store with DATABASE_READ_URL on a real streaming replica: an owned primary and a hot
 * standby made from it with `pg_basebackup -R`. Replay on the standby is paused to tell where a
 * read was answered: what the replica answers lags, what the primary answers does not.
 */
describe("PostgreSQL store with a streaming read replica", { timeout: 120_000 }, () => {
  let primary: OwnedPostgres;
  let standby: OwnedPostgres;
  let store: Store;
  let primaryAdmin: postgres.Sql;
  let standbyAdmin: postgres.Sql;
  let tradeCount = 0;

  async function trade(userId: string, hundredths = 500) {
    const record = await store.trade({ userId, marketId, outcome: "home", side: "buy", hundredths });
    tradeCount++;
    return record;
  }

  async function caughtUp(): Promise<void> {
    const [current] = await primaryAdmin<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
    const lsn = current!.lsn;
    await until(
      async () => {
        const [row] = await standbyAdmin<{ behind: boolean }[]>`
          SELECT pg_last_wal_replay_lsn() < ${lsn}::pg_lsn AS behind`;
        return row?.behind === false;
      },
      10_000,
      "the standby to replay the primary's WAL",
    );
  }

  async function pauseReplay(): Promise<void> {
    await standbyAdmin`SELECT pg_wal_replay_pause()`;
    await until(
      async () =>
        (await standbyAdmin<{ s: string }[]>`SELECT pg_get_wal_replay_pause_state() AS s`)[0]?.s === "paused",
      10_000,
      "replay to pause",
    );
  }

  before(async () => {
    primary = await startPostgresServer({ settings: { wal_level: "replica" } });
    standby = await startPostgresStandby(primary);
    primaryAdmin = postgres(primary.url, { max: 1, onnotice: () => {} });
    standbyAdmin = postgres(standby.url, { max: 1, onnotice: () => {} });
    store = createPostgresStore(primary.url, { maxConnections: 4, readUrl: standby.url });
    await store.migrate();
    await store.openMarket({
      id: marketId,
      matchId: "replica",
      kind: "1x2",
      title: "Replica v Primary",
      outcomes: ["home", "draw", "away"],
      prices: [0.4, 0.3, 0.3],
      liquidity: 1000,
    });
    for (const u of ["ann", "bob"]) await store.ensureUser(u, 1_000_000);
    await caughtUp();
  });

  after(async () => {
    await store?.close();
    await primaryAdmin?.end({ timeout: 2 });
    await standbyAdmin?.end({ timeout: 2 });
    await standby?.stop();
    await primary?.stop();
  });

  test("lists and history lag with the replica while the user's own wallet and positions do not", async () => {
    await pauseReplay();
    try {
      const filled = await trade("ann");
      assert.equal(await store.balance("ann"), filled.balanceCents, "wallet reads ann's own trade");
      assert.equal(await store.balance("ann"), 1_000_000 - filled.cents);
      const held = await store.positions("ann");
      assert.deepEqual(
        held.map((p) => [p.marketId, p.outcome, p.hundredths]),
        [[marketId, "home", 500]],
        "positions read ann's own trade",
      );
      // The replica has not replayed the trade: lists and history are answered from it.
      assert.deepEqual(await store.trades("ann", 10), [], "trade history comes from the paused replica");
      const [listed] = await store.markets({ matchId: "replica" });
      assert.deepEqual(listed?.lmsr.sold, [0, 0, 0], "the market list comes from the paused replica");
      assert.equal((await store.priceHistory(marketId, 10)).length, 1, "price history too");
    } finally {
      await standbyAdmin`SELECT pg_wal_replay_resume()`;
    }
    await until(
      async () => (await store.trades("ann", 10)).length === 1,
      10_000,
      "ann's trade on the replica",
    );
    const [listed] = await store.markets({ matchId: "replica" });
    assert.deepEqual(listed?.lmsr.sold, [500, 0, 0]);
  });

  test("nothing can be written through the read path, on the standby or on a primary named by mistake", async () => {
    for (const url of [standby.url, primary.url]) {
      const reader = connectReadOnly(url, 1);
      try {
        await assert.rejects(
          reader.query("INSERT INTO accounts (id, kind) VALUES ('user:intruder', 'user')"),
          (err: { code?: string }) => err.code === "25006",
        );
      } finally {
        await reader.close();
      }
    }
    const [row] = await primaryAdmin`SELECT count(*)::int AS n FROM accounts WHERE id = 'user:intruder'`;
    assert.equal(row?.n, 0);
  });

  test("with the replica down reads come from the primary, and go back to the replica when it returns", async () => {
    await standby.crash();
    const during: string[] = [];
    for (let i = 0; i < 5; i++) during.push((await trade("bob", 100)).tradeId);
    const started = Date.now();
    const history = await store.trades("bob", 10);
    assert.ok(Date.now() - started < 2_000, "a read with the replica down answers promptly");
    assert.deepEqual(
      history.map((t) => t.tradeId),
      [...during].reverse(),
      "bob's history, written while the replica was down, is read from the primary",
    );
    const [listed] = await store.markets({ matchId: "replica" });
    assert.deepEqual(listed?.lmsr.sold, [1000, 0, 0]);

    await standby.restart();
    await caughtUp();
    await pauseReplay();
    try {
      await trade("bob", 100);
      // Past the replica's skip window, lists lag again: they are read from the replica.
      await until(
        async () => (await store.trades("bob", 10)).length === 5,
        5_000,
        "bob's history to come from the paused replica again",
      );
      assert.equal(await store.balance("bob"), (await primaryBalance("bob")) ?? -1);
    } finally {
      await standbyAdmin`SELECT pg_wal_replay_resume()`;
    }
  });

  test("nothing is lost: the replica holds every trade and the books balance on both", async () => {
    await caughtUp();
    const count = async (sql: postgres.Sql) =>
      (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM trades`)[0]?.n;
    assert.equal(await count(primaryAdmin), tradeCount);
    assert.equal(await count(standbyAdmin), tradeCount);
    const books = await store.checkBooks();
    assert.deepEqual(books, {
      ledgerSumCents: 0,
      accountsOffLedger: 0,
      negativeBalances: 0,
      underfundedMarkets: [],
      positionsOffTrades: 0,
    });
    const [sums] = await standbyAdmin<
      { s: number }[]
    >`SELECT coalesce(sum(amount_cents), 0)::int8 AS s FROM ledger_entries`;
    assert.equal(Number(sums?.s), 0, "the replica's ledger balances");
  });

  async function primaryBalance(userId: string): Promise<number | undefined> {
    const [row] = await primaryAdmin<
      { b: string }[]
    >`SELECT balance_cents::text AS b FROM accounts WHERE id = ${`user:${userId}`}`;
    return row ? Number(row.b) : undefined;
  }
});
