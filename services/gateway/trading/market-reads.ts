import type { Cache } from "../../../shared/cache/cache.js";
import type { MarketsQuery } from "../../../shared/protocol/trading-bodies.js";
import type { Exchange, ExchangeEvent } from "../../exchange/exchange.js";
import type { MarketView, PositionView, PricePointView, TradeHistoryItem } from "../../exchange/views.js";

/** How long each read may be served from the cache when no change invalidates it first. */
export const readTtlMs = Object.freeze({
  markets: 5 * 60_000,
  history: 60_000,
  balance: 30_000,
});

const statuses = ["*", "open", "suspended", "closed", "settled"] as const;

/** Markets are `<matchId>.<kind>` (shared/epl/markets.ts). */
function matchOf(marketId: string): string {
  const dot = marketId.lastIndexOf(".");
  return dot < 0 ? marketId : marketId.slice(0, dot);
}

const keys = {
  list: (matchId: string, status: string) => `markets:list:${matchId}:${status}`,
  market: (marketId: string) => `markets:one:${marketId}`,
  history: (marketId: string) => `markets:history:${marketId}`,
  balance: (userId: string) => `wallet:${userId}`,
};

/**
 * The exchange's reads as the gateway serves them: market data and balances through the cache,
 * positions and trades always from the exchange (they are per user and change with every price).
 * `invalidate` drops what an exchange event changed; it is called after this gateway's own trades
 * and for every ExchangeEvent that reaches the gateway through the live stream.
 */
export interface MarketReads {
  listMarkets(query: MarketsQuery): Promise<MarketView[]>;
  market(marketId: string): Promise<MarketView>;
  history(marketId: string): Promise<PricePointView[]>;
  wallet(userId: string): Promise<{ balance: number; currency: "credits" }>;
  positions(userId: string): Promise<PositionView[]>;
  trades(userId: string): Promise<TradeHistoryItem[]>;
  invalidate(event: ExchangeEvent): Promise<void>;
}

export function createMarketReads(exchange: Exchange, cache: Cache): MarketReads {
  const marketKeys = (marketId: string) => {
    const matchId = matchOf(marketId);
    return [
      keys.market(marketId),
      keys.history(marketId),
      ...statuses.flatMap((status) => [keys.list(matchId, status), keys.list("*", status)]),
    ];
  };

  return {
    listMarkets(query) {
      const key = keys.list(query.matchId ?? "*", query.status ?? "*");
      return cache.wrap(key, readTtlMs.markets, () => exchange.listMarkets(query));
    },
    market(marketId) {
      return cache.wrap(keys.market(marketId), readTtlMs.markets, () => exchange.getMarket({ marketId }));
    },
    history(marketId) {
      return cache.wrap(keys.history(marketId), readTtlMs.history, () => exchange.priceHistory({ marketId }));
    },
    wallet(userId) {
      return cache.wrap(keys.balance(userId), readTtlMs.balance, () => exchange.getWallet({ userId }));
    },
    positions: (userId) => exchange.getPositions({ userId }),
    trades: (userId) => exchange.getTrades({ userId }),
    async invalidate(event) {
      switch (event.kind) {
        case "market":
          return cache.delete(...marketKeys(event.marketId));
        case "fill":
          return cache.delete(keys.balance(event.userId), ...marketKeys(event.trade.marketId));
        case "settlement":
          return cache.delete(keys.balance(event.userId), ...marketKeys(event.marketId));
        case "balance":
          return cache.delete(keys.balance(event.userId));
      }
    },
  };
}
