import type { AlertDelivery } from "../../shared/journal/alert-book.js";
import type { Portfolio } from "./portfolio.js";
import type { ExchangeInput } from "./schemas.js";
import type {
  MarketView,
  PositionView,
  PricePointView,
  QuoteResult,
  SettlementHistoryItem,
  TradeHistoryItem,
  TradeResult,
} from "./views.js";

/**
 * The single path by which money moves. Every method takes one JSON payload (validated: callers
 * may be other processes) and answers in the protocol's units, or throws an AppError with the
 * protocol's code. `trade` and `deposit` are idempotent on `idempotencyKey`; `settle` on the
 * market. A user is created and funded with `startingBalance` the first time any method names it.
 */
export interface Exchange {
  quote(input: ExchangeInput<"quote">): Promise<QuoteResult>;
  trade(input: ExchangeInput<"trade">): Promise<TradeResult>;
  settle(input: ExchangeInput<"settle">): Promise<SettleResult>;
  /** Opens, suspends or closes trading on a market (the market feed's in-play control). */
  setMarketStatus(input: ExchangeInput<"setMarketStatus">): Promise<MarketView>;
  /**
   * Moves a market's prices to `prices` in play, keeping every position; the house tops the
   * escrow up (or takes the excess back) so every outcome's payout stays covered.
   */
  reprice(input: ExchangeInput<"reprice">): Promise<MarketView>;
  deposit(input: ExchangeInput<"deposit">): Promise<{ balance: number }>;
  openMarkets(input: ExchangeInput<"openMarkets">): Promise<{ opened: number; existing: number }>;
  getWallet(input: ExchangeInput<"getWallet">): Promise<{ balance: number; currency: "credits" }>;
  getPositions(input: ExchangeInput<"getPositions">): Promise<PositionView[]>;
  /** Every outcome the user traded, valued at its sell-back quote, with realised and unrealised P&L. */
  getPortfolio(input: ExchangeInput<"getPortfolio">): Promise<Portfolio>;
  getTrades(input: ExchangeInput<"getTrades">): Promise<TradeHistoryItem[]>;
  /** The user's settled holdings with what each paid, newest settlement first. */
  getSettlements(input: ExchangeInput<"getSettlements">): Promise<SettlementHistoryItem[]>;
  listMarkets(input: ExchangeInput<"listMarkets">): Promise<MarketView[]>;
  getMarket(input: ExchangeInput<"getMarket">): Promise<MarketView>;
  priceHistory(input: ExchangeInput<"priceHistory">): Promise<PricePointView[]>;
}

export interface SettleResult {
  marketId: string;
  winner: string;
  /** Credits paid to winners (by the first settlement, when this one found it done). */
  paid: number;
  alreadySettled: boolean;
}

/**
 * What the exchange tells the live stream, after the money moved: `fill`, `balance`,
 * `settlement` and `alert` for one user's `user` channel, `market` for `market.<id>` and `prices`.
 */
export type ExchangeEvent =
  | { kind: "fill"; userId: string; trade: TradeResult }
  | { kind: "alert"; userId: string; alert: AlertDelivery["data"] }
  | { kind: "balance"; userId: string; balance: number }
  | { kind: "settlement"; userId: string; marketId: string; winner: string; payout: number; balance: number }
  | {
      kind: "market";
      marketId: string;
      status: MarketView["status"];
      prices: Record<string, number>;
      winner?: string;
      /**
       * Prices moved by a trade: the market was open and stays open, and the price alerts these
       * prices reached fired with the trade.
       */
      byTrade?: true;
    };
