import type { TradeResult } from "../../../exchange/views.js";
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
    return input ? [input] : [];
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
    if (q.trade?.instructed && q.tools.has("placeTrade")) return [];
    const input = tradeInput(q, findings);
    return input ? [input] : [];
  },
  write(findings) {
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
