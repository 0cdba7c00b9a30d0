import type { Cache } from "../../shared/cache/cache.js";
import type { ExchangeEvent } from "./exchange-interface.js";

/**
 * The read cache of exchange data (markets, price history, balances) that gateways serve from,
 * and its invalidation. Gateways fill it; the exchange, the single writer, drops what each of its
 * events changed, whoever caused the change (a gateway's trade, an agent's trade, the feed's
 * repricing or settlement). Gateways also drop entries after their own trades, so a user reads
 * their own write at once even before the event arrives.
 */
export const readCacheKeys = Object.freeze({
  list: (matchId: string, status: string) => `markets:list:${matchId}:${status}`,
  market: (marketId: string) => `markets:one:${marketId}`,
  history: (marketId: string) => `markets:history:${marketId}`,
  balance: (userId: string) => `wallet:${userId}`,
});

const everyStatus = ["*", "open", "suspended", "closed", "settled"] as const;
/** A trade needs an open market and leaves it open: only lists of open and of all markets held it. */
const tradedStatuses = ["*", "open"] as const;

/**
 * Every cached read a change of `marketId` makes stale, given the lists (by status) the market
 * was or now is in: markets are `<matchId>.<kind>`.
 */
function marketKeys(marketId: string, statuses: readonly string[]): string[] {
  const dot = marketId.lastIndexOf(".");
  const matchId = dot < 0 ? marketId : marketId.slice(0, dot);
  return [
    readCacheKeys.market(marketId),
    readCacheKeys.history(marketId),
    ...statuses.flatMap((status) => [readCacheKeys.list(matchId, status), readCacheKeys.list("*", status)]),
  ];
}

export function invalidateReadCache(cache: Cache, event: ExchangeEvent): Promise<void> {
  switch (event.kind) {
    case "market":
      // Any other change may have moved the market from a status this event does not name.
      return cache.delete(...marketKeys(event.marketId, event.byTrade ? tradedStatuses : everyStatus));
    case "fill":
      return cache.delete(
        readCacheKeys.balance(event.userId),
        ...marketKeys(event.trade.marketId, tradedStatuses),
      );
    case "settlement":
      return cache.delete(readCacheKeys.balance(event.userId), ...marketKeys(event.marketId, everyStatus));
    case "balance":
      return cache.delete(readCacheKeys.balance(event.userId));
    case "alert":
      return Promise.resolve();
  }
}
