import assert from "node:assert/strict";
import { test } from "node:test";
import { createLivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import { createMemoryLiveStream } from "../../shared/bus/live-stream/memory-live-stream.js";
import { createMemoryCache } from "../../shared/cache/memory-cache.js";
import { until } from "../../test/support/polling.js";
import { exchangeEventSink } from "./live-events.js";
import { readCacheKeys } from "./read-cache.js";

test("exchange events land on their LIVE topics in protocol shape, and fire the users' alerts", async () => {
  const live = createMemoryLiveStream();
  const alerted: string[] = [];
  const publisher = createLivePublisher(live, {
    alerts: {
      async matching(event) {
        alerted.push(event.topic);
        return event.topic === "market.m.1x2"
          ? [{ userId: "ann", data: { kind: "alert", alertId: "a1" } }]
          : [];
      },
    },
  });
  const cache = createMemoryCache();
  await cache.set(readCacheKeys.balance("ann"), { balance: 1000 }, 60_000);
  await cache.set(readCacheKeys.market("m.1x2"), { stale: true }, 60_000);
  await cache.set(readCacheKeys.balance("carl"), { balance: 5 }, 60_000);
  const publish = exchangeEventSink({ publisher, cache, onError: (err) => assert.fail(String(err)) });
  const trade = {
    tradeId: "7",
    marketId: "m.1x2",
    outcome: "home",
    side: "buy" as const,
    shares: 2,
    cost: 1.1,
    avgPrice: 0.55,
    balance: 998.9,
    position: { shares: 2, avgCost: 0.55 },
  };
  publish({ kind: "fill", userId: "ann", trade });
  publish({ kind: "balance", userId: "ann", balance: 998.9 });
  publish({
    kind: "market",
    marketId: "m.1x2",
    status: "suspended",
    prices: { home: 0.6, draw: 0.25, away: 0.15 },
  });
  publish({ kind: "settlement", userId: "bob", marketId: "m.1x2", winner: "home", payout: 3, balance: 1003 });
  const annEvents = async () =>
    (await live.history("user.ann", 0, (await live.position("user.ann")).epoch)).events;
  await until(async () => (await annEvents()).length >= 3, 5_000, "ann's three events");
  const ann = await annEvents();
  assert.deepEqual(
    ann.map((e) => e.data),
    [
      { kind: "fill", trade },
      { kind: "balance", balance: 998.9 },
      { kind: "alert", alertId: "a1" },
    ],
  );
  assert.deepEqual((await live.last("market.m.1x2"))?.data, {
    marketId: "m.1x2",
    status: "suspended",
    prices: { home: 0.6, draw: 0.25, away: 0.15 },
  });
  assert.deepEqual((await live.last("user.bob"))?.data, {
    kind: "settlement",
    marketId: "m.1x2",
    winner: "home",
    payout: 3,
    balance: 1003,
  });
  assert.deepEqual(alerted.sort(), ["market.m.1x2"], "user events are not matched against alerts");
  assert.equal(
    await cache.get(readCacheKeys.balance("ann")),
    undefined,
    "the filled user's balance is re-read",
  );
  assert.equal(await cache.get(readCacheKeys.market("m.1x2")), undefined, "the traded market is re-read");
  assert.deepEqual(
    await cache.get(readCacheKeys.balance("carl")),
    { balance: 5 },
    "others' reads stay cached",
  );
});

test("a trade's market event, its alerts fired already, is stored as is and not matched again", async () => {
  const live = createMemoryLiveStream();
  const matched: string[] = [];
  const publisher = createLivePublisher(live, {
    alerts: {
      async matching(event) {
        matched.push(event.topic);
        return [];
      },
    },
  });
  const publish = exchangeEventSink({
    publisher,
    live,
    cache: createMemoryCache(),
    onError: (err) => assert.fail(String(err)),
  });
  const prices = { home: 0.6, draw: 0.25, away: 0.15 };
  publish({ kind: "market", marketId: "m.1x2", status: "open", prices, byTrade: true });
  const alert = { kind: "alert", alertId: "a2" };
  publish({ kind: "alert", userId: "ann", alert: alert as never });
  await until(async () => (await live.last("user.ann")) !== undefined, 5_000, "the alert on user.ann");
  assert.deepEqual((await live.last("market.m.1x2"))?.data, { marketId: "m.1x2", status: "open", prices });
  assert.deepEqual((await live.last("user.ann"))?.data, alert);
  assert.deepEqual(matched, [], "nothing is matched twice");
});
