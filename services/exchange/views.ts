import type { QuoteResult, TradeResult } from "../../shared/protocol/trading-views.js";
import { perShare, toCredits, toPrice } from "./money.js";
import { prices } from "./pricing/lmsr.js";
import type {
  MarketRecord,
  MarketStatus,
  SettlementSummary,
  TradeRecord,
  TradeSummary,
} from "./store/store.js";

/** What the exchange answers, in the protocol's units (credits, shares, prices). */
export interface MarketView {
  marketId: string;
  matchId: string;
  kind: string;
  title: string;
  outcomes: string[];
  status: MarketStatus;
  prices: Record<string, number>;
  winner?: string;
  /** LMSR liquidity b, in shares. */
  liquidity: number;
  openedAt: string;
}

export type { QuoteResult, TradeResult };

/** A past trade: the fill without the balance and position after it, and when it was made. */
export type TradeHistoryItem = Omit<TradeResult, "balance" | "position"> & { at: string };

/** Shares a user held when their market settled, and what they paid (credits). */
export interface SettlementHistoryItem {
  marketId: string;
  title: string;
  outcome: string;
  winner: string;
  shares: number;
  /** What the shares cost, what they paid, and the difference. */
  cost: number;
  payout: number;
  pnl: number;
  at: string;
}

export interface PositionView {
  marketId: string;
  outcome: string;
  shares: number;
  avgCost: number;
  /** The outcome's current price, and what the shares would pay if it won. */
  price: number;
  payout: number;
}

export interface PricePointView {
  at: string;
  prices: Record<string, number>;
}

export function priceMap(outcomes: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(outcomes.map((o, i) => [o, toPrice(values[i] ?? 0)]));
}

export function marketView(m: MarketRecord): MarketView {
  const view: MarketView = {
    marketId: m.id,
    matchId: m.matchId,
    kind: m.kind,
    title: m.title,
    outcomes: m.outcomes,
    status: m.status,
    prices: priceMap(m.outcomes, prices(m.lmsr)),
    liquidity: m.lmsr.b,
    openedAt: m.openedAt,
  };
  if (m.winner !== undefined) view.winner = m.winner;
  return view;
}

/** What a trade was, in the protocol's units: shared by a fill and a trade-history line. */
function tradeFigures(t: TradeSummary | TradeRecord) {
  return {
    tradeId: t.tradeId,
    marketId: t.marketId,
    outcome: t.outcome,
    side: t.side,
    shares: toCredits(t.hundredths),
    cost: toCredits(t.cents),
    avgPrice: perShare(t.cents, t.hundredths),
  };
}

export function tradeResult(t: TradeRecord): TradeResult {
  return {
    ...tradeFigures(t),
    balance: toCredits(t.balanceCents),
    position: {
      shares: toCredits(t.position.hundredths),
      avgCost: perShare(t.position.costCents, t.position.hundredths),
    },
  };
}

export function settlementHistoryItem(s: SettlementSummary): SettlementHistoryItem {
  return {
    marketId: s.marketId,
    title: s.title,
    outcome: s.outcome,
    winner: s.winner,
    shares: toCredits(s.hundredths),
    cost: toCredits(s.costCents),
    payout: toCredits(s.payoutCents),
    pnl: toCredits(s.payoutCents - s.costCents),
    at: s.at,
  };
}

export function tradeHistoryItem(t: TradeSummary): TradeHistoryItem {
  return { ...tradeFigures(t), at: t.at };
}
