import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryCache } from "../../shared/cache/memory-cache.js";
import type { ExchangeEvent } from "./exchange-interface.js";
import { invalidateReadCache, readCacheKeys } from "./read-cache.js";

const statuses = ["*", "open", "suspended", "closed", "settled"];

/** Every read of match `m` and of the league that the cache may hold, and Ann's and Carl's wallets. */
async function filledCache() {
  const cache = createMemoryCache();
  const keys = [
    readCacheKeys.market("m.1x2"),
    readCacheKeys.history("m.1x2"),
    readCacheKeys.market("m.btts"),
    readCacheKeys.balance("ann"),
    readCacheKeys.balance("carl"),
    ...statuses.flatMap((s) => [readCacheKeys.list("m", s), readCacheKeys.list("*", s)]),
  ];
  for (const key of keys) await cache.set(key, { cached: key }, 60_000);
  return {
    cache,
    async kept() {
      const present: string[] = [];
      for (const key of keys) if ((await cache.get(key)) !== undefined) present.push(key);
      return present;
    },
  };
}

const trade = {
  tradeId: "1",
  marketId: "m.1x2",
  outcome: "home",
  side: "buy",
  shares: 1,
  cost: 0.5,
  avgPrice: 0.5,
  balance: 999.5,
  position: { shares: 1, avgCost: 0.5 },
} as const;

test("a trade drops its market, its history, the trader's wallet and the lists of open and of all markets", async () => {
  const { cache, kept } = await filledCache();
  await invalidateReadCache(cache, { kind: "fill", userId: "ann", trade } as ExchangeEvent);
  await invalidateReadCache(cache, {
    kind: "market",
    marketId: "m.1x2",
    status: "open",
    prices: { home: 0.6 },
    byTrade: true,
  });
  assert.deepEqual(await kept(), [
    readCacheKeys.market("m.btts"),
    readCacheKeys.balance("carl"),
    ...["suspended", "closed", "settled"].flatMap((s) => [
      readCacheKeys.list("m", s),
      readCacheKeys.list("*", s),
    ]),
  ]);
});

test("any other market change drops the lists of every status: the one it left is not named", async () => {
  const { cache, kept } = await filledCache();
  // Reopened after a suspension: the suspended lists held it.
  await invalidateReadCache(cache, {
    kind: "market",
    marketId: "m.1x2",
    status: "open",
    prices: { home: 0.6 },
  });
  assert.deepEqual(await kept(), [
    readCacheKeys.market("m.btts"),
    readCacheKeys.balance("ann"),
    readCacheKeys.balance("carl"),
  ]);
});

test("a settlement drops the holder's wallet and every list of the market", async () => {
  const { cache, kept } = await filledCache();
  await invalidateReadCache(cache, {
    kind: "settlement",
    userId: "carl",
    marketId: "m.1x2",
    winner: "home",
    payout: 1,
    balance: 6,
  });
  assert.deepEqual(await kept(), [readCacheKeys.market("m.btts"), readCacheKeys.balance("ann")]);
});
