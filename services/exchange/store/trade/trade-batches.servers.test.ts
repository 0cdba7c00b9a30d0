import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import postgres from "postgres";
import { AppError } from "../../../../shared/errors.js";
import type { SqlDatabase } from "../../../../shared/store/sql.js";
import { createTempDatabase } from "../../../../shared/store/temp-database.js";
import { openLmsr } from "../../pricing/lmsr.js";
import { createPostgresStore } from "../postgres-store.js";
import type { Store, TradeRecord } from "../store.js";
import { createTradeBatches } from "./trade-batches.js";
import { writeTrade } from "./trade-write.js";

/**
 * Group commit (trade-batches.ts) on a real PostgreSQL: which trades shared a transaction is
 * read back from the rows themselves — a row's `xmin` is the transaction that wrote it.
 */
describe("trades written together (group commit)", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: Store;
  let sql: postgres.Sql;
  let n = 0;
  const markets: string[] = [];

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url);
    await store.migrate();
    for (let i = 0; i < 6; i++) {
      const id = `batch-m${i}`;
      await store.openMarket({
        id,
        matchId: `batch-match-${i}`,
        kind: "1x2",
        title: "A v B",
        outcomes: ["home", "draw", "away"],
        prices: [0.5, 0.3, 0.2],
        liquidity: 100,
      });
      markets.push(id);
    }
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql.end();
    await store.close();
    await db.drop();
  });

  const user = async (cents = 100_000) => {
    const id = `batch-u${++n}`;
    await store.ensureUser(id, cents);
    return id;
  };
  const buy = (userId: string, marketId: string, shares = 1) =>
    store.trade({ userId, marketId, outcome: "home", side: "buy", hundredths: shares * 100 });

  /** The transactions that wrote `trades`, one entry per distinct transaction. */
  async function transactionsOf(trades: TradeRecord[]): Promise<number> {
    const rows =
      await sql`SELECT count(DISTINCT xmin::text)::int AS n FROM trades WHERE id = ANY(${trades.map((t) => Number(t.tradeId))})`;
    return rows[0]!.n as number;
  }

  beforeEach(async () => {
    // Each market's first trade reads it; the ones after are written at once, so they can batch.
    const warm = await user();
    for (const m of markets) await buy(warm, m);
  });

  test("writes made together commit as one transaction, each with its own answer", async () => {
    const traders = await Promise.all(markets.map(() => user()));
    const trades = await Promise.all(markets.map((m, i) => buy(traders[i]!, m, i + 1)));
    assert.deepEqual(
      trades.map((t) => [t.userId, t.marketId, t.hundredths]),
      markets.map((m, i) => [traders[i], m, (i + 1) * 100]),
    );
    // Made in the same turn, all six went as one transaction.
    assert.equal(await transactionsOf(trades), 1);
    for (const [i, t] of trades.entries()) assert.equal(t.balanceCents, 100_000 - t.cents, `trader ${i}`);
    assert.deepEqual((await store.checkBooks()).underfundedMarkets, []);
    assert.equal((await store.checkBooks()).ledgerSumCents, 0);
  });

  test("a refused trade in a batch gets its refusal; the others fill and nothing partial stays", async () => {
    const traders = await Promise.all(markets.map((_, i) => user(i === 3 ? 10 : 100_000)));
    const before = (await sql`SELECT count(*)::int AS n FROM trades`)[0]!.n as number;
    const answers = await Promise.allSettled(markets.map((m, i) => buy(traders[i]!, m, 5)));
    const refused = answers[3]!;
    assert.equal(refused.status, "rejected");
    assert.ok(refused.reason instanceof AppError && refused.reason.code === "insufficient_funds");
    const filled = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
    assert.equal(filled.length, 5);
    // The refusal rolled the batch back, and each of the others then ran on its own.
    assert.equal(await transactionsOf(filled), 5);
    const after = (await sql`SELECT count(*)::int AS n FROM trades`)[0]!.n as number;
    assert.equal(after - before, 5, "one row per filled trade, none for the refused one");
    assert.equal(await store.balance(traders[3]!), 10, "the refused trader's balance is untouched");
    const books = await store.checkBooks();
    assert.equal(books.ledgerSumCents, 0);
    assert.equal(books.accountsOffLedger, 0);
    assert.equal(books.positionsOffTrades, 0);
  });

  test("the same user in several trades of one batch is charged for each", async () => {
    const trader = await user();
    const trades = await Promise.all(markets.map((m) => buy(trader, m, 2)));
    assert.equal(await transactionsOf(trades), 1, "one batch");
    const spent = trades.reduce((sum, t) => sum + t.cents, 0);
    assert.equal(await store.balance(trader), 100_000 - spent);
    assert.equal(Math.min(...trades.map((t) => t.balanceCents)), 100_000 - spent);
    assert.equal((await store.checkBooks()).ledgerSumCents, 0);
  });
});

test("when a batch's outcome is unknown, each of its writes fails with the error and none runs again", async () => {
  const lost = new AppError("unavailable", "connection lost before the COMMIT's answer");
  let alone = 0;
  const db = {
    query: async () => {
      alone += 1;
      return [];
    },
    exec: async () => {},
    transaction: async () => assert.fail("no transaction"),
    close: async () => {},
  } as unknown as SqlDatabase;
  const send = createTradeBatches(db, async () => ({ outcome: "unknown", error: lost }));
  const at = {
    market: { id: "m", outcomes: ["home", "away"], status: "open" as const, lmsr: openLmsr(100, [0.5, 0.5]) },
    version: "1",
  };
  const trade = (userId: string) =>
    writeTrade(send, { userId, marketId: "m", outcome: "home", side: "buy", hundredths: 100 }, at);
  const answers = await Promise.allSettled([trade("a"), trade("b")]);
  assert.deepEqual(
    answers.map((a) => (a.status === "rejected" ? a.reason : a.value)),
    [lost, lost],
  );
  assert.equal(alone, 0, "a write that may have committed is never run again");
});
