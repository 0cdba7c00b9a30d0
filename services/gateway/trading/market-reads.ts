import type { Cache } from "../../../shared/cache/cache.js";
import { coalesceDeletes } from "../../../shared/cache/coalesced-deletes.js";
import type { MarketsQuery } from "../../../shared/protocol/trading-bodies.js";
import {
  type Exchange,
  type ExchangeEvent,
  invalidateReadCache,
  readCacheKeys as keys,
  type MarketView,
  type Portfolio,
  type PositionView,
  type PricePointView,
  type SettlementHistoryItem,
  type TradeHistoryItem,
} from "../../exchange/client.js";

/** How long each read may be served from the cache when no change invalidates it first. */
export const readTtlMs = Object.freeze({
  markets: 5 * 60_000,
  history: 60_000,
  balance: 30_000,
});

/**
 * The exchange's reads as the gateway serves them: market data and balances through the cache,
 * positions, portfolio, trades and settlements always from the exchange (they are per user and change with every price).
 * `invalidate` drops what an exchange event changed; the gateway calls it after its own trades,
 * and the exchange for every change (services/exchange/read-cache.ts).
 */
export interface MarketReads {
  listMarkets(query: MarketsQuery): Promise<MarketView[]>;
  market(marketId: string): Promise<MarketView>;
  history(marketId: string): Promise<PricePointView[]>;
  wallet(userId: string): Promise<{ balance: number; currency: "credits" }>;
  positions(userId: string): Promise<PositionView[]>;
  portfolio(userId: string): Promise<Portfolio>;
  trades(userId: string): Promise<TradeHistoryItem[]>;
  settlements(userId: string): Promise<SettlementHistoryItem[]>;
  invalidate(event: ExchangeEvent): Promise<void>;
}

export function createMarketReads(exchange: Exchange, shared: Cache): MarketReads {
  // Concurrent trades' invalidations go to the cache together (coalesced-deletes.ts).
  const cache = coalesceDeletes(shared);
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
    portfolio: (userId) => exchange.getPortfolio({ userId }),
    trades: (userId) => exchange.getTrades({ userId }),
    settlements: (userId) => exchange.getSettlements({ userId }),
    invalidate: (event) => invalidateReadCache(cache, event),
  };
}
