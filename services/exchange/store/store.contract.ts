import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError, type ErrorCode } from "../../../shared/errors.js";
import type { Store } from "./store.js";

/** A fresh, empty store of one adapter, and how to dispose of it. */
export type MakeTestStore = () => Promise<{ store: Store; dispose(): Promise<void> }>;

async function rejects(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(work, (err: unknown) => err instanceof AppError && err.code === code);
}

/** The `Store` contract (store.ts), run against an adapter. */
export function storeContract(name: string, make: MakeTestStore): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let n = 0;
    const market = async (prices = [0.5, 0.3, 0.2]) => {
      const id = `m${++n}`;
      await store.openMarket({
        id,
        matchId: `match-${n}`,
        kind: "1x2",
        title: "A v B",
        outcomes: ["home", "draw", "away"].slice(0, prices.length),
        prices,
        liquidity: 100,
      });
      return id;
    };
    const user = async (cents = 100_000) => {
      const id = `u${++n}`;
      await store.ensureUser(id, cents);
      return id;
    };
    const assertBalanced = async () => {
      const books = await store.checkBooks();
      assert.deepEqual(books, {
        ledgerSumCents: 0,
        accountsOffLedger: 0,
        negativeBalances: 0,
        underfundedMarkets: [],
        positionsOffTrades: 0,
      });
    };

    before(async () => {
      ({ store, dispose } = await make());
      await store.migrate();
    });
    after(() => dispose());

    test("migrations apply once", async () => {
      assert.deepEqual(await store.migrate(), []);
    });

    test("a new user is funded once from the house", async () => {
      assert.deepEqual(await store.ensureUser("alice", 100_000), { created: true, balanceCents: 100_000 });
      assert.deepEqual(await store.ensureUser("alice", 100_000), { created: false, balanceCents: 100_000 });
      assert.equal(await store.balance("alice"), 100_000);
      assert.equal(await store.balance("nobody"), undefined);
      await assertBalanced();
    });

    test("a market opens at the given prices with its subsidy in escrow, once", async () => {
      const id = await market([0.6, 0.4]);
      const again = await store.openMarket({
        id,
        matchId: "x",
        kind: "1x2",
        title: "x",
        outcomes: ["home", "draw"],
        prices: [0.5, 0.5],
        liquidity: 5,
      });
      assert.equal(again.created, false);
      assert.equal(again.market.status, "open");
      assert.equal(again.market.escrowCents, again.market.subsidyCents);
      // Worst case: outcome "draw" at 0.4 wins, b·ln(1/0.4) = 91.63 credits.
      assert.equal(again.market.subsidyCents, 9164);
      const history = await store.priceHistory(id, 10);
      assert.equal(history.length, 1);
      assert.deepEqual(
        history[0]?.prices.map((p) => p.toFixed(6)),
        ["0.600000", "0.400000"],
      );
      await assertBalanced();
    });

    test("a buy moves cash into escrow, builds the position and moves the price", async () => {
      const id = await market();
      const u = await user();
      const t = await store.trade({
        userId: u,
        marketId: id,
        outcome: "away",
        side: "buy",
        hundredths: 1000,
      });
      assert.ok(t.cents > 200 && t.cents < 1000, `10 shares at ~0.2 cost ${t.cents}`);
      assert.equal(t.balanceCents, 100_000 - t.cents);
      assert.deepEqual(t.position, { hundredths: 1000, costCents: t.cents });
      assert.ok((t.prices[2] ?? 0) > 0.2);
      assert.equal(await store.balance(u), 100_000 - t.cents);
      const [pos] = await store.positions(u);
      assert.equal(pos?.hundredths, 1000);
      assert.deepEqual(
        (await store.trades(u, 10)).map((x) => x.tradeId),
        [t.tradeId],
      );
      assert.equal((await store.priceHistory(id, 10)).length, 2);

      const s = await store.trade({
        userId: u,
        marketId: id,
        outcome: "away",
        side: "sell",
        hundredths: 400,
      });
      assert.equal(s.position.hundredths, 600);
      assert.equal(s.balanceCents, 100_000 - t.cents + s.cents);
      await assertBalanced();
    });

    test("the same idempotency key twice is one trade with the same answer", async () => {
      const id = await market();
      const u = await user();
      const request = {
        userId: u,
        marketId: id,
        outcome: "home",
        side: "buy" as const,
        hundredths: 500,
        idempotencyKey: "k1",
      };
      const [a, b] = await Promise.all([store.trade(request), store.trade(request)]);
      const c = await store.trade(request);
      assert.equal(a.tradeId, b.tradeId);
      assert.equal(a.tradeId, c.tradeId);
      assert.equal(c.replayed, true);
      assert.equal(c.cents, a.cents);
      assert.equal((await store.trades(u, 10)).length, 1);
      assert.equal(await store.balance(u), 100_000 - a.cents);
      await rejects(store.trade({ ...request, hundredths: 600 }), "bad_request");
      await assertBalanced();
    });

    test("refused trades answer with the protocol's codes and move nothing", async () => {
      const id = await market();
      const poor = await user(50);
      const u = await user();
      await store.trade({ userId: u, marketId: id, outcome: "home", side: "buy", hundredths: 100 });
      const before = {
        poor: await store.balance(poor),
        u: await store.balance(u),
        books: await store.checkBooks(),
      };
      const history = (await store.priceHistory(id, 100)).length;
      const base = { marketId: id, outcome: "home", side: "buy" as const, hundredths: 1000 };
      await rejects(store.trade({ ...base, userId: poor }), "insufficient_funds");
      await rejects(store.trade({ ...base, userId: u, side: "sell" }), "invalid_shares");
      await rejects(store.trade({ ...base, userId: u, marketId: "nope" }), "invalid_market");
      await rejects(store.trade({ ...base, userId: u, outcome: "nobody" }), "invalid_outcome");
      await rejects(store.trade({ ...base, userId: u, maxCostCents: 100 }), "price_moved");
      await rejects(
        store.trade({ ...base, userId: u, side: "sell", hundredths: 100, minProceedsCents: 100 }),
        "price_moved",
      );
      await store.setMarketStatus(id, "suspended");
      await rejects(store.trade({ ...base, userId: u }), "market_closed");
      await store.setMarketStatus(id, "open");
      assert.equal(await store.balance(poor), before.poor);
      assert.equal(await store.balance(u), before.u);
      assert.equal((await store.priceHistory(id, 100)).length, history);
      assert.equal((await store.trades(u, 10)).length, 1);
      assert.deepEqual(await store.checkBooks(), before.books);
    });

    test("concurrent trades on one market keep the books balanced", async () => {
      const id = await market();
      const users = await Promise.all([1, 2, 3, 4].map(() => user(20_000)));
      const outcomes = ["home", "draw", "away"];
      await Promise.all(
        users.flatMap((u, i) =>
          [0, 1, 2, 3, 4].map((k) =>
            store
              .trade({
                userId: u,
                marketId: id,
                outcome: outcomes[(i + k) % 3] ?? "home",
                side: "buy",
                hundredths: 700 + k,
              })
              .catch((err: unknown) => {
                if (!(err instanceof AppError && err.code === "insufficient_funds")) throw err;
              }),
          ),
        ),
      );
      await assertBalanced();
    });

    test("settlement pays 1.00 per winning share once and closes the market", async () => {
      const id = await market();
      const winner = await user();
      const loser = await user();
      const w = await store.trade({
        userId: winner,
        marketId: id,
        outcome: "draw",
        side: "buy",
        hundredths: 1234,
      });
      const l = await store.trade({
        userId: loser,
        marketId: id,
        outcome: "away",
        side: "buy",
        hundredths: 500,
      });
      const first = await store.settle(id, "draw");
      assert.equal(first.alreadySettled, false);
      assert.equal(first.paidCents, 1234);
      assert.deepEqual(
        first.holders.map((h) => [h.userId, h.payoutCents, h.balanceCents]),
        [
          [winner, 1234, 100_000 - w.cents + 1234],
          [loser, 0, 100_000 - l.cents],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const second = await store.settle(id, "draw");
      assert.deepEqual(second, {
        marketId: id,
        winner: "draw",
        paidCents: 1234,
        holders: [],
        alreadySettled: true,
      });
      assert.equal(await store.balance(winner), 100_000 - w.cents + 1234);
      const settled = await store.market(id);
      assert.equal(settled?.status, "settled");
      assert.equal(settled?.winner, "draw");
      assert.equal(settled?.escrowCents, 0);
      assert.deepEqual(await store.positions(winner), []);
      await rejects(
        store.trade({ userId: winner, marketId: id, outcome: "draw", side: "sell", hundredths: 1 }),
        "market_closed",
      );
      await rejects(store.settle("nope", "draw"), "invalid_market");
      await rejects(store.settle(await market(), "nobody"), "invalid_outcome");
      await assertBalanced();
    });

    test("holdings keep every outcome traded, sold out and settled, with what its trades cost and fetched", async () => {
      const id = await market();
      const u = await user();
      const bought = [
        await store.trade({ userId: u, marketId: id, outcome: "home", side: "buy", hundredths: 1000 }),
        await store.trade({ userId: u, marketId: id, outcome: "home", side: "buy", hundredths: 500 }),
        await store.trade({ userId: u, marketId: id, outcome: "away", side: "buy", hundredths: 300 }),
      ];
      const soldHome = await store.trade({
        userId: u,
        marketId: id,
        outcome: "home",
        side: "sell",
        hundredths: 600,
      });
      const soldAway = await store.trade({
        userId: u,
        marketId: id,
        outcome: "away",
        side: "sell",
        hundredths: 300,
      });
      const rows = () =>
        store
          .holdings(u)
          .then((hs) =>
            hs.map((h) => [h.marketId, h.outcome, h.hundredths, h.costCents, h.boughtCents, h.soldCents]),
          );
      const homeCost = soldHome.position.costCents;
      const before = [
        [id, "away", 0, 0, bought[2]!.cents, soldAway.cents],
        [id, "home", 900, homeCost, bought[0]!.cents + bought[1]!.cents, soldHome.cents],
      ];
      assert.deepEqual(await rows(), before);
      assert.deepEqual(await store.holdings(await user()), []);

      await store.settle(id, "home");
      assert.deepEqual(await rows(), before, "a settled market's holdings stay listed as they were");
      assert.deepEqual(
        (await store.holdings(u)).map((h) => [h.market.status, h.market.winner]),
        [
          ["settled", "home"],
          ["settled", "home"],
        ],
      );
      assert.deepEqual(await store.positions(u), []);
      const settled = await store.settlements(u, 10);
      assert.deepEqual(
        settled.map((x) => [x.marketId, x.outcome, x.winner, x.hundredths, x.costCents, x.payoutCents]),
        [[id, "home", "home", 900, homeCost, 900]],
        "a settlement lists what was held, sold-out outcomes not",
      );
      assert.ok(settled[0]!.title.length > 0 && !Number.isNaN(Date.parse(settled[0]!.at)));
    });

    test("deposits are idempotent on their key", async () => {
      const u = await user(0);
      const a = await store.deposit({ userId: u, cents: 2500, idempotencyKey: "d1" });
      const b = await store.deposit({ userId: u, cents: 2500, idempotencyKey: "d1" });
      assert.equal(a.balanceCents, 2500);
      assert.equal(b.replayed, true);
      assert.equal(await store.balance(u), 2500);
      await assertBalanced();
    });

    test("markets are listed by match and status", async () => {
      const id = await market();
      const found = await store.markets({ matchId: `match-${n}` });
      assert.deepEqual(
        found.map((m) => m.id),
        [id],
      );
      assert.ok((await store.markets({ status: "settled" })).every((m) => m.status === "settled"));
    });
  });
}
