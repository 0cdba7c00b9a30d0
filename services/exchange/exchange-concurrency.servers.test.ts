import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { AppError } from "../../shared/errors.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { createExchange } from "./exchange.js";
import type { Exchange } from "./exchange-interface.js";
import { createExchangeClient, serveExchange } from "./rpc.js";
import { createPostgresStore } from "./store/postgres-store.js";
import type { Store } from "./store/store.js";
import { balancedBooks as balanced } from "./testing/fixtures.js";
import type { TradeResult } from "./views.js";

const config = { startingBalance: 100, liquidityMatchResult: 50, liquidityOverUnder: 50, liquidityBtts: 50 };

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const cents = (credits: number) => Math.round(credits * 100);

/**
 * Two exchanges, each with its own PostgreSQL pool and its own NATS connection serving the
 * "exchange" queue group (two exchange processes, as far as PostgreSQL and NATS can tell), and
 * two clients calling them over NATS, as two gateways would.
 */
describe("exchange under concurrency on PostgreSQL and NATS", () => {
  const subjectPrefix = `t${randomBytes(4).toString("hex")}.`;
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let stores: Store[];
  let connections: NatsConnection[];
  let stops: (() => Promise<void>)[];
  let exchanges: Exchange[];
  const fills = [0, 0];
  const markets: { id: string; outcomes: string[] }[] = [];

  before(async () => {
    db = await createTempDatabase();
    stores = [
      createPostgresStore(db.url, { maxConnections: 5 }),
      createPostgresStore(db.url, { maxConnections: 5 }),
    ];
    await Promise.all(stores.map((s) => s.migrate()));
    connections = await Promise.all(
      [0, 1, 2, 3].map((i) => connectNats({ natsUrl: "nats://127.0.0.1:4222" }, `ex${i}`)),
    );
    stops = stores.map((store, i) => {
      const publish = (e: { kind: string }) => {
        if (e.kind === "fill") fills[i] = (fills[i] ?? 0) + 1;
      };
      return serveExchange(
        createExchange({ store, config, publish }),
        createNatsRpc(connections[i] as NatsConnection, { subjectPrefix }),
      );
    });
    exchanges = [2, 3].map((i) =>
      createExchangeClient(createNatsRpc(connections[i] as NatsConnection, { subjectPrefix }), {
        timeoutMs: 20_000,
      }),
    );
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
    await Promise.all(stops.map((stop) => stop()));
    await Promise.all(connections.map((nc) => nc.drain()));
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
    assert.ok((fills[0] ?? 0) > 100 && (fills[1] ?? 0) > 100, `fills per exchange: ${fills}`);

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

describe("exchange over NATS", () => {
  const subjectPrefix = `t${randomBytes(4).toString("hex")}.`;
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: Store;
  let connections: NatsConnection[];
  let stop: () => Promise<void>;
  let client: Exchange;

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url, { maxConnections: 2 });
    await store.migrate();
    await store.openMarket({
      id: "m",
      matchId: "x",
      kind: "btts",
      title: "m",
      outcomes: ["yes", "no"],
      prices: [0.5, 0.5],
      liquidity: 50,
    });
    connections = await Promise.all(
      [0, 1].map((i) => connectNats({ natsUrl: "nats://127.0.0.1:4222" }, `ex${i}`)),
    );
    stop = serveExchange(
      createExchange({ store, config }),
      createNatsRpc(connections[0] as NatsConnection, { subjectPrefix }),
    );
    client = createExchangeClient(createNatsRpc(connections[1] as NatsConnection, { subjectPrefix }));
    // The server has subscribed once NATS has its subscriptions, or the first request finds no responder.
    await connections[0]?.flush();
  });
  after(async () => {
    await stop();
    await Promise.all(connections.map((nc) => nc.drain()));
    await store.close();
    await db.drop();
  });

  test("a retried request with the same key is one trade with the same answer", async () => {
    const request = {
      userId: "ann",
      marketId: "m",
      outcome: "yes",
      side: "buy" as const,
      shares: 10,
      idempotencyKey: "a",
    };
    const [first, second] = await Promise.all([client.trade(request), client.trade(request)]);
    assert.deepEqual(second, first);
    assert.equal((await client.getTrades({ userId: "ann" })).length, 1);
  });

  test("refusals arrive typed, with the protocol's codes", async () => {
    const base = { userId: "bob", marketId: "m", outcome: "yes", side: "buy" as const, shares: 1 };
    const codes: string[] = [];
    for (const request of [
      { ...base, shares: 10_000 },
      { ...base, side: "sell" as const },
      { ...base, marketId: "nope" },
      { ...base, shares: 0.001 },
      { ...base, maxCost: 0.01 },
    ]) {
      await client
        .trade(request)
        .catch((err: unknown) => codes.push(err instanceof AppError ? err.code : String(err)));
    }
    assert.deepEqual(codes, [
      "insufficient_funds",
      "invalid_shares",
      "invalid_market",
      "invalid_shares",
      "price_moved",
    ]);
    assert.deepEqual(await client.getWallet({ userId: "bob" }), { balance: 100, currency: "credits" });
  });
});
