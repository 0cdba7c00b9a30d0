import { perShare, toCredits, toPrice } from "./money.js";
import { prices, sell } from "./pricing/lmsr.js";
import type { HoldingRecord, MarketStatus } from "./store/store.js";

/**
 * One outcome a user traded, valued at what it would fetch now (docs/protocol.md "Portfolio").
 * Money is in credits; P&L is signed.
 */
export interface PortfolioPosition {
  marketId: string;
  matchId: string;
  kind: string;
  title: string;
  outcome: string;
  /** The market's status; a settled market's position stays listed with its `winner` and `payout`. */
  status: MarketStatus;
  winner?: string;
  /** Held now (a settled market: held when it settled); 0 once all were sold. */
  shares: number;
  avgCost: number;
  /** What the shares held cost. */
  cost: number;
  /** The outcome's price now (a settled market: its last price). */
  price: number;
  /**
   * What selling every share held back to the market would pay now, price impact included (the
   * sell quote); 0 once settled, as the shares have been paid.
   */
  value: number;
  /** Unsettled: what the shares would pay if the outcome won. Settled: what they paid. */
  payout: number;
  /** value − cost; 0 once settled. */
  unrealisedPnl: number;
  /** What sells fetched above the cost of the shares sold, plus (settled) payout − cost. */
  realisedPnl: number;
}

export interface Portfolio {
  balance: number;
  positions: PortfolioPosition[];
  totals: {
    /** Sums over the positions (cost and value: the unsettled ones). */
    cost: number;
    value: number;
    unrealisedPnl: number;
    realisedPnl: number;
    /** realisedPnl + unrealisedPnl. */
    pnl: number;
    /** balance + value: what the account would hold if it sold everything now. */
    equity: number;
  };
}

interface Valued {
  view: PortfolioPosition;
  costCents: number;
  valueCents: number;
  realisedCents: number;
}

/** Each holding valued alone, as if it were the only one sold; every sum is taken in cents. */
export function valuePortfolio(balanceCents: number, holdings: readonly HoldingRecord[]): Portfolio {
  const valued = holdings.map(valueHolding);
  const sum = (f: (v: Valued) => number) => valued.reduce((total, v) => total + f(v), 0);
  const costCents = sum((v) => v.costCents);
  const valueCents = sum((v) => v.valueCents);
  const realisedCents = sum((v) => v.realisedCents);
  return {
    balance: toCredits(balanceCents),
    positions: valued.map((v) => v.view),
    totals: {
      cost: toCredits(costCents),
      value: toCredits(valueCents),
      unrealisedPnl: toCredits(valueCents - costCents),
      realisedPnl: toCredits(realisedCents),
      pnl: toCredits(valueCents - costCents + realisedCents),
      equity: toCredits(balanceCents + valueCents),
    },
  };
}

function valueHolding(h: HoldingRecord): Valued {
  const { market } = h;
  const index = market.outcomes.indexOf(h.outcome);
  const settled = market.status === "settled";
  // The cost of the shares sold is what their sells took off the cost basis.
  const fromSells = h.soldCents - (h.boughtCents - h.costCents);
  let valueCents = 0;
  let payoutCents = h.hundredths;
  let realisedCents = fromSells;
  let costCents = h.costCents;
  if (settled) {
    payoutCents = market.winner === h.outcome ? h.hundredths : 0;
    realisedCents += payoutCents - h.costCents;
    costCents = 0;
  } else {
    // The market has sold at least what any one user holds; the bound only keeps `sell` total.
    const sellable = Math.min(h.hundredths, market.lmsr.sold[index] ?? 0);
    if (sellable > 0) valueCents = sell(market.lmsr, index, sellable).cents;
  }
  const view: PortfolioPosition = {
    marketId: h.marketId,
    matchId: market.matchId,
    kind: market.kind,
    title: market.title,
    outcome: h.outcome,
    status: market.status,
    shares: toCredits(h.hundredths),
    avgCost: perShare(h.costCents, h.hundredths),
    cost: toCredits(h.costCents),
    price: toPrice(prices(market.lmsr)[index] ?? 0),
    value: toCredits(valueCents),
    payout: toCredits(payoutCents),
    unrealisedPnl: toCredits(valueCents - costCents),
    realisedPnl: toCredits(realisedCents),
  };
  if (market.winner !== undefined) view.winner = market.winner;
  return { view, costCents, valueCents, realisedCents };
}
