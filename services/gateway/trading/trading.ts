import type { Cache } from "../../../shared/cache/cache.js";
import { createMemoryCache } from "../../../shared/cache/memory-cache.js";
import { createMemoryRateLimiter } from "../../../shared/limits/memory-rate-limiter.js";
import type { RateLimiter } from "../../../shared/limits/rate-limiter.js";
import type { Logger } from "../../../shared/logger.js";
import type { Exchange } from "../../exchange/client.js";
import { createMarketReads, type MarketReads } from "./market-reads.js";
import { createTradeDesk, type TradeDesk } from "./trade-desk.js";
import { unavailableExchange } from "./unavailable-exchange.js";

export interface Trading {
  desk: TradeDesk;
  /** Cached reads; `reads.invalidate(event)` takes every ExchangeEvent the gateway hears. */
  reads: MarketReads;
}

/**
 * The gateway's trading side. Without an exchange every call answers `unavailable`; without a
 * shared limiter or cache (embedded mode, one gateway) they live in this process.
 */
export function createTrading(deps: {
  exchange: Exchange | undefined;
  limiter: RateLimiter | undefined;
  tradesPerSecond: Readonly<Record<"free" | "pro", number>>;
  cache: Cache | undefined;
  logger: Logger;
}): Trading {
  const exchange = deps.exchange ?? unavailableExchange();
  const reads = createMarketReads(exchange, deps.cache ?? createMemoryCache());
  const desk = createTradeDesk({
    exchange,
    limiter: deps.limiter ?? createMemoryRateLimiter(),
    tradesPerSecond: deps.tradesPerSecond,
    reads,
    logger: deps.logger,
  });
  return { desk, reads };
}
