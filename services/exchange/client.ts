/**
 * The exchange's public face: what another service may know of it — the interface and its
 * events (exchange-interface.ts), the answers in the protocol's units (views.ts, portfolio.ts),
 * the payload schemas (schemas.ts), the NATS client (rpc.ts) and the read cache's keys, which
 * the exchange invalidates and the gateway reads (read-cache.ts). Only the process that hosts an
 * exchange (its own `main.ts`, embedded mode, test fixtures) imports its implementation.
 */
export type { Exchange, ExchangeEvent, SettleResult } from "./exchange-interface.js";
export type { Portfolio, PortfolioPosition } from "./portfolio.js";
export { invalidateReadCache, readCacheKeys } from "./read-cache.js";
export { createExchangeClient, pingExchange } from "./rpc.js";
export { type ExchangeInput, type ExchangeMethod, exchangeMethods } from "./schemas.js";
export type {
  MarketView,
  PositionView,
  PricePointView,
  QuoteResult,
  SettlementHistoryItem,
  TradeHistoryItem,
  TradeResult,
} from "./views.js";
