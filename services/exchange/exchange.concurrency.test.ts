import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError } from "../../shared/errors.js";
import { createPostgresStore } from "../../shared/store/postgres-store.js";
import type { Store } from "../../shared/store/store.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { createExchange, type Exchange } from "./exchange.js";
import type { TradeResult } from "./views.js";

const config = { startingBalance: 100, liquidityMatchResult: 50, liquidityOverUnder: 50, liquidityBtts: 50 };
const balanced = {
  ledgerSumCents: 0,
  accountsOffLedger: 0,
  negativeBalances: 0,
  underfundedMarkets: [],
  positionsOffTrades: 0,
};

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const cents = (credits: number) => Math.round(credits * 100);

/**
 * Two exchange instances, each with its own connection pool (two exchange processes as far as
 * PostgreSQL can tell), trading on one database at once.
 */
describe("exchange under concurrency on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let stores: Store[];
  let exchanges: Exchange[];
  const markets: { id: string; outcomes: string[] }[] = [];

  before(async () => {
    db = await createTempDatabase();
    stores = [
      createPostgresStore(db.url, { maxConnections: 5 }),
      createPostgresStore(db.url, { maxConnections: 5 }),
    ];
    await Promise.all(stores.map((s) => s.migrate()));
    exchanges = stores.map((store) => createExchange({ store, config }));
    const rand = random(7);
    for (let i = 0; i < 20; i++) {
      const outcomes = i % 2 === 0 ? ["home", "draw", "away"] : ["yes", "no"];
      const id = `m${i}`;
      await stores[0]?.openMarket({
        id,
        matchId: `match${i}`,
        kind: i % 2 === 0 ? "1x2" : "btts",
        title: id,
        outcomes,
        prices: outcomes.map(() => 0.1 + rand()),
        liquidity: 30 + rand() * 100,
      });
      markets.push({ id, outcomes });
    }
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  });

  test("200 users trading at random on 20 markets through 2 exchanges keep the books exact", async () => {
    const rand = random(11);
    const users = Array.from({ length: 200 }, (_, i) => `trader${i}`);
    const expected = new Map<string, { balance: number; held: Map<string, number> }>();
    let filled = 0;
    let refused = 0;

    await Promise.all(
      users.map(async (userId, u) => {
        const mine = { balance: cents(config.startingBalance), held: new Map<string, number>() };
        expected.set(userId, mine);
        for (let k = 0; k < 5; k++) {
          const exchange = exchanges[(u + k) % 2] as Exchange;
          const market = markets[Math.floor(rand() * markets.length)] as (typeof markets)[number];
          const outcome = market.outcomes[Math.floor(rand() * market.outcomes.length)] as string;
          const key = `${market.id}/${outcome}`;
          const held = mine.held.get(key) ?? 0;
          const selling = held > 0 && rand() < 0.4;
          const shares = selling
            ? Math.max(1, Math.floor(held * rand())) / 100
            : Math.floor(1 + rand() * 4000) / 100;
          let result: TradeResult;
          try {
            result = await exchange.trade({
              userId,
              marketId: market.id,
              outcome,
              side: selling ? "sell" : "buy",
              shares,
            });
          } catch (err) {
            assert.ok(err instanceof AppError && err.code === "insufficient_funds", String(err));
            refused++;
            continue;
          }
          filled++;
          mine.balance += selling ? cents(result.cost) : -cents(result.cost);
          mine.held.set(key, held + (selling ? -cents(shares) : cents(shares)));
          assert.equal(
            cents(result.balance),
            mine.balance,
            `${userId}'s balance after trade ${result.tradeId}`,
          );
          assert.equal(cents(result.position.shares), mine.held.get(key));
        }
      }),
    );
    assert.ok(filled > 500, `${filled} trades filled, ${refused} refused`);

    assert.deepEqual(await stores[0]?.checkBooks(), balanced);
    for (const [userId, mine] of expected) {
      const wallet = await exchanges[1]?.getWallet({ userId });
      assert.equal(cents(wallet?.balance ?? -1), mine.balance, userId);
      assert.ok(mine.balance >= 0);
      const positions = (await exchanges[0]?.getPositions({ userId })) ?? [];
      const held = [...mine.held].filter(([, h]) => h > 0).sort(([a], [b]) => (a < b ? -1 : 1));
      assert.deepEqual(
        positions.map((p) => [`${p.marketId}/${p.outcome}`, cents(p.shares)]),
        held,
      );
    }
  });

  test("settling every market from both exchanges at once pays each once", async () => {
    const before = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const userId = `trader${i}`;
      before.set(userId, cents((await exchanges[0]?.getWallet({ userId }))?.balance ?? 0));
    }
    const owed = new Map<string, number>();
    for (const userId of before.keys()) {
      for (const p of (await exchanges[0]?.getPositions({ userId })) ?? []) {
        const winner = markets.find((m) => m.id === p.marketId)?.outcomes[0];
        if (p.outcome === winner) owed.set(userId, (owed.get(userId) ?? 0) + cents(p.shares));
      }
    }
    const results = await Promise.all(
      markets.flatMap((m) =>
        (exchanges as Exchange[]).map((exchange) =>
          exchange.settle({ marketId: m.id, winner: m.outcomes[0] as string }),
        ),
      ),
    );
    for (const m of markets) {
      const pair = results.filter((r) => r.marketId === m.id);
      assert.deepEqual(pair.map((r) => r.alreadySettled).sort(), [false, true]);
      assert.equal(pair[0]?.paid, pair[1]?.paid);
    }
    for (const [userId, balance] of before) {
      const after = cents((await exchanges[1]?.getWallet({ userId }))?.balance ?? 0);
      assert.equal(after, balance + (owed.get(userId) ?? 0), userId);
    }
    const books = await stores[1]?.checkBooks();
    assert.deepEqual(books, balanced);
    for (const m of markets) assert.equal((await stores[0]?.market(m.id))?.escrowCents, 0);
  });
});
