import type { QuoteResult, TradeResult } from "../../../exchange/client.js";
import type { ValueLine } from "../../platform/model-value.js";
import type { TradePlan } from "../../platform/trade-plan.js";
import type { Findings } from "./fixture-findings.js";
import { cr, foundFixture, outcomeName, resolveTarget } from "./fixture-findings.js";
import type { Question } from "./question.js";
import type { OfflineSkill } from "./skill.js";

interface PlacedTrade {
  trade: TradeResult;
  stakedThisRun: number;
  remainingCap: number;
}

/** The trade the question describes on the fixture found, as tool input (fixed key order). */
function tradeInput(q: Question, findings: Findings): Record<string, unknown> | undefined {
  const fixture = foundFixture(findings);
  if (!q.trade || !fixture) return undefined;
  const target = resolveTarget(q.trade.target, fixture);
  if (!target) return undefined;
  return {
    ...target,
    side: q.trade.side,
    ...(q.trade.shares === undefined ? { stake: q.trade.stake } : { shares: q.trade.shares }),
  };
}

export const placeTradeSkill: OfflineSkill = {
  tool: "placeTrade",
  topic: "placing a trade you ask for with an amount",
  plan(q, findings) {
    const input = q.trade?.instructed ? tradeInput(q, findings) : undefined;
    // A trade is sized, quoted and valued first, so the stream can state what it will do.
    const ready = findings.has("checkTradeRisk") && (findings.has("getValue") || !q.tools.has("getValue"));
    return input && ready ? [input] : [];
  },
  announce(_input, _q, findings) {
    const plan = findings.get("checkTradeRisk")?.at(-1)?.output as TradePlan | undefined;
    if (!plan?.quote) return undefined;
    const value = findings.get("getValue")?.at(-1)?.output as { lines: ValueLine[] } | undefined;
    return describeTrade(plan, plan.quote, value?.lines);
  },
  write(findings, _q, all) {
    const fixture = foundFixture(all);
    return findings.map((f) => {
      const { trade, stakedThisRun, remainingCap } = f.output as PlacedTrade;
      const verb = trade.side === "buy" ? "bought" : "sold";
      return (
        `Done: I ${verb} ${trade.shares} shares of ${outcomeName(trade.marketId, trade.outcome, fixture)} in ${trade.marketId} ` +
        `for ${cr(trade.cost)}, an average of ${trade.avgPrice} a share (trade ${trade.tradeId}). ` +
        `Your balance is now ${cr(trade.balance)} and you hold ${trade.position.shares} shares at an average cost of ${trade.position.avgCost}. ` +
        `This run has staked ${cr(stakedThisRun)}; ${cr(remainingCap)} of its cap is left.`
      );
    });
  },
};

export const checkTradeRiskSkill: OfflineSkill = {
  tool: "checkTradeRisk",
  topic: "whether a trade is within your risk limits",
  plan(q, findings) {
    const input = tradeInput(q, findings);
    return input ? [input] : [];
  },
  write(findings, _q, all) {
    // Before a trade the stream already stated its cost; the fill or refusal is the news.
    if (all.has("placeTrade")) return [];
    return findings.map((f) => {
      const plan = f.output as TradePlan;
      const what = `${plan.side === "buy" ? "Buying" : "Selling"} ${plan.shares} shares of ${plan.outcome} in ${plan.title}`;
      const cost = plan.quote ? ` costs ${cr(plan.quote.cost)} now (average ${plan.quote.avgPrice})` : "";
      const checks = plan.risk.checks.map((c) => `${c.ok ? "passes" : "FAILS"}: ${c.detail}`).join("; ");
      return (
        `${what}${cost} and is ${plan.risk.withinLimits ? "within" : "outside"} your limits (${checks}). ` +
        `The most it can lose is ${cr(plan.risk.maxLoss)}, against your balance of ${cr(plan.balance)}.`
      );
    });
  },
};

export const recordTradeSkill: OfflineSkill = {
  tool: "recordTrade",
  topic: "your trade journal",
  plan(q, findings) {
    return (findings.get("placeTrade") ?? []).map((f) => {
      const { trade } = f.output as PlacedTrade;
      const words = q.text.split("\n")[0]!.trim().slice(0, 300);
      return {
        tradeId: trade.tradeId,
        rationale: `Placed on the user's explicit instruction "${words}", filled at an average price of ${trade.avgPrice}.`,
      };
    });
  },
  write(findings) {
    return findings.map((f) => {
      const entry = f.output as { entryId: string; tradeId: string; rationale: string };
      return `I recorded trade ${entry.tradeId} in your trade journal (entry ${entry.entryId}) with the reason: ${entry.rationale}`;
    });
  },
};

/**
 * A trade's stake, average price, price impact and expected value at the model's probability:
 * what a trader wants to hear before the money moves. A sell's "stake" is what it raises.
 */
export function describeTrade(
  plan: Pick<TradePlan, "side" | "shares" | "outcome" | "title" | "marketId" | "price">,
  quote: QuoteResult,
  lines: readonly ValueLine[] | undefined,
): string {
  const buying = plan.side === "buy";
  const head =
    `Before trading: ${buying ? "buying" : "selling"} ${plan.shares} shares of ${plan.outcome} in ${plan.title} ` +
    `${buying ? "stakes" : "raises"} ${cr(quote.cost)} at an average price of ${quote.avgPrice} a share; ` +
    `the trade itself moves the price from ${plan.price} to ${quote.priceAfter} (price impact ${signedPrice(quote.priceAfter - plan.price)}).`;
  const line = lines?.find((l) => l.marketId === plan.marketId && l.outcome === plan.outcome);
  if (!line) return `${head} I have no model probability for it, so no expected value.`;
  const ev = round2(buying ? plan.shares * line.model - quote.cost : quote.cost - plan.shares * line.model);
  const verdict =
    ev < 0
      ? "The average price is above the model's probability: on the model's numbers this trade loses money on average."
      : "On the model's numbers this trade gains on average.";
  return `${head} The model gives ${plan.outcome} ${line.model}, so the expected value is ${signedCr(ev)} (${plan.shares} × ${line.model} ${buying ? "−" : "against"} ${cr(quote.cost)}). ${verdict}`;
}

function signedCr(n: number): string {
  return `${n > 0 ? "+" : ""}${cr(n)}`;
}

function signedPrice(n: number): string {
  const r = round4(n);
  return `${r > 0 ? "+" : ""}${r}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
