import { AppError } from "../../../shared/errors.js";
import type { QuoteResult } from "../../exchange/client.js";
import type { ToolContext } from "../agent/tool.js";
import { checkTradeRisk, type RiskReport } from "./trade-risk.js";

export interface TradeRequest {
  marketId: string;
  outcome: string;
  side: "buy" | "sell";
  /** Exactly one of `shares` and `stake` (credits to spend; buys only). */
  shares?: number | undefined;
  stake?: number | undefined;
}

export interface TradePlan {
  marketId: string;
  title: string;
  outcome: string;
  side: "buy" | "sell";
  shares: number;
  price: number;
  /** Undefined when the market is not open (nothing can be quoted). */
  quote?: QuoteResult;
  balance: number;
  risk: RiskReport;
}

/**
 * Sizes and quotes a trade for the run's user and runs the risk checks on it, without trading.
 * A stake in credits becomes the most whole hundredths of a share it buys (LMSR's closed form,
 * then quoted and trimmed until the quote fits the stake).
 */
export async function planTrade(ctx: ToolContext, request: TradeRequest): Promise<TradePlan> {
  const { exchange, limits } = ctx.services;
  if ((request.shares === undefined) === (request.stake === undefined)) {
    throw new AppError("bad_request", "give either shares or stake (credits), not both or neither");
  }
  if (request.stake !== undefined && request.side === "sell") {
    throw new AppError("bad_request", "a sell is sized in shares, not stake");
  }
  const market = await exchange.getMarket({ marketId: request.marketId });
  const price = market.prices[request.outcome];
  if (price === undefined) {
    throw new AppError(
      "invalid_outcome",
      `${market.marketId} has no outcome ${request.outcome}; its outcomes are ${market.outcomes.join(", ")}`,
    );
  }
  const { balance } = await exchange.getWallet({ userId: ctx.userId });
  const open = market.status === "open";
  let shares = request.shares ?? sharesForStake(request.stake!, price, market.liquidity);
  let quote: QuoteResult | undefined;
  if (open) {
    const ask = (n: number) =>
      exchange.quote({ marketId: market.marketId, outcome: request.outcome, side: request.side, shares: n });
    if (shares < 0.01)
      throw new AppError("invalid_shares", `a stake of ${request.stake} credits buys no share`);
    quote = await ask(shares);
    for (let i = 0; request.stake !== undefined && quote.cost > request.stake && i < 8; i++) {
      shares = Math.floor(shares * (request.stake / quote.cost) * 100 - 1) / 100;
      if (shares < 0.01)
        throw new AppError("invalid_shares", `a stake of ${request.stake} credits buys no share`);
      quote = await ask(shares);
    }
  }
  const risk = checkTradeRisk({
    side: request.side,
    cost: quote?.cost ?? request.stake ?? Math.round(shares * price * 100) / 100,
    balance,
    marketId: market.marketId,
    marketStatus: market.status,
    capCredits: limits.agentStakeCapCredits,
    stakedThisRun: ctx.run.stakedCredits,
  });
  const plan: TradePlan = {
    marketId: market.marketId,
    title: market.title,
    outcome: request.outcome,
    side: request.side,
    shares,
    price,
    balance,
    risk,
  };
  if (quote) plan.quote = quote;
  return plan;
}

/**
 * Shares of an outcome at price p that `stake` credits buy on an LMSR of liquidity b: the cost of
 * x shares is b·ln(1 − p + p·e^(x/b)), so x = b·ln((e^(stake/b) − 1 + p) / p), rounded down.
 */
function sharesForStake(stake: number, price: number, b: number): number {
  const x = b * Math.log((Math.exp(stake / b) - 1 + price) / price);
  return Math.floor(x * 100) / 100;
}
