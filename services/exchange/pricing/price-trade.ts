import { AppError } from "../../../shared/errors.js";
import type { Side } from "../../../shared/protocol/common.js";
import { buy, type LmsrFill, type LmsrState, sell } from "./lmsr.js";

/** What pricing needs of a market. */
export interface PricedMarket {
  id: string;
  outcomes: readonly string[];
  status: string;
  lmsr: LmsrState;
}

/** A trade to price: `hundredths` of a share; a quote has no limits. */
export interface TradeToPrice {
  outcome: string;
  side: Side;
  hundredths: number;
  /** Buys: refuse (`price_moved`) if the cost would exceed this. */
  maxCostCents?: number;
  /** Sells: refuse (`price_moved`) if the proceeds would fall below this. */
  minProceedsCents?: number;
}

/**
 * The one decision of what a trade costs and whether it may happen, for a quote and a trade
 * alike (docs/architecture.md "A trade"): the market must be open, the outcome one of its own, a
 * sell no larger than what the market sold of it (nobody holds more), and the fill within the
 * trade's `maxCostCents` / `minProceedsCents`. Pure: the caller reads the market and writes the
 * fill; a refusal is the protocol's error.
 */
export function priceTrade(market: PricedMarket, trade: TradeToPrice): LmsrFill & { index: number } {
  if (market.status !== "open")
    throw new AppError("market_closed", `market ${market.id} is ${market.status}`);
  const index = market.outcomes.indexOf(trade.outcome);
  if (index < 0) throw new AppError("invalid_outcome", `${market.id} has no outcome ${trade.outcome}`);
  if (trade.side === "buy") {
    const fill = buy(market.lmsr, index, trade.hundredths);
    if (trade.maxCostCents !== undefined && fill.cents > trade.maxCostCents)
      throw new AppError(
        "price_moved",
        `the cost is ${credits(fill.cents)}, above maxCost ${credits(trade.maxCostCents)}`,
      );
    return { ...fill, index };
  }
  if ((market.lmsr.sold[index] ?? 0) < trade.hundredths) throw notHeld(trade);
  const fill = sell(market.lmsr, index, trade.hundredths);
  if (trade.minProceedsCents !== undefined && fill.cents < trade.minProceedsCents)
    throw new AppError(
      "price_moved",
      `the proceeds are ${credits(fill.cents)}, below minProceeds ${credits(trade.minProceedsCents)}`,
    );
  return { ...fill, index };
}

/** A sell of more shares than the seller holds (or than the market sold: nobody holds more). */
export function notHeld(trade: Pick<TradeToPrice, "outcome" | "hundredths">): AppError {
  return new AppError(
    "invalid_shares",
    `you hold fewer than ${trade.hundredths / 100} shares of ${trade.outcome}`,
  );
}

function credits(cents: number): string {
  return (cents / 100).toFixed(2);
}
