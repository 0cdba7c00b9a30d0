import { prices } from "../../shared/markets/lmsr.js";
import type {
  MarketRecord,
  MarketStatus,
  Side,
  TradeRecord,
  TradeSummary,
} from "../../shared/store/store.js";
import { perShare, toCredits, toPrice } from "./money.js";

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

export interface QuoteResult {
  marketId: string;
  outcome: string;
  side: Side;
  shares: number;
  cost: number;
  avgPrice: number;
  priceAfter: number;
}

export interface TradeResult {
  tradeId: string;
  marketId: string;
  outcome: string;
  side: Side;
  shares: number;
  cost: number;
  avgPrice: number;
  balance: number;
  position: { shares: number; avgCost: number };
}

export interface TradeHistoryItem {
  tradeId: string;
  marketId: string;
  outcome: string;
  side: Side;
  shares: number;
  cost: number;
  avgPrice: number;
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

export function tradeHistoryItem(t: TradeSummary): TradeHistoryItem {
  return { ...tradeFigures(t), at: t.at };
}
