import { createHash } from "node:crypto";
import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import type { TradeIntent } from "../../../../shared/store/agent-records.js";
import { planTrade } from "../../platform/trade-plan.js";
import { credits } from "../../platform/trade-risk.js";
import { createTool, type ToolContext } from "../tool.js";

const TradeInput = {
  marketId: T.String({ minLength: 1, maxLength: 128, description: "e.g. 2025-26-arsenal-everton.1x2" }),
  outcome: T.String({
    minLength: 1,
    maxLength: 64,
    description: "home, draw, away, over, under, yes or no.",
  }),
  side: T.Optional(T.Union([T.Literal("buy"), T.Literal("sell")], { default: "buy" })),
  shares: T.Optional(T.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: "Shares to trade." })),
  stake: T.Optional(
    T.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: "Or: credits to spend on a buy." }),
  ),
};

export const checkTradeRiskTool = createTool({
  name: "checkTradeRisk",
  description:
    "Checks a proposed trade for the user without placing it: its quoted cost, the maximum loss and " +
    "the risk rules (stake within the per-run cap, at most 25% of the cash balance, market open).",
  input: T.Object(TradeInput, { additionalProperties: false }),
  async run(input, ctx) {
    return planTrade(ctx, { ...input, side: input.side ?? "buy" });
  },
});

export const placeTradeTool = createTool({
  name: "placeTrade",
  description:
    "Places a real trade for the user on the exchange, only when the user explicitly asked for it with " +
    "an amount (shares, or a stake in credits for a buy). Refused when it breaks a risk rule (per-run " +
    "stake cap, 25% of the balance, market not open). Returns the fill and the balance after it.",
  input: T.Object(TradeInput, { additionalProperties: false }),
  async run(input, ctx) {
    ctx.run.tradeCalls += 1;
    const key = idempotencyKey(ctx);
    const { journal, exchange } = ctx.services;
    // A redelivered run repeats the decision its first attempt stored, never a new one.
    let intent = await journal.decision(ctx.userId, key);
    let risk: Awaited<ReturnType<typeof planTrade>>["risk"] | undefined;
    if (!intent) {
      const plan = await planTrade(ctx, { ...input, side: input.side ?? "buy" });
      risk = plan.risk;
      const failed = plan.risk.checks.filter((c) => !c.ok);
      if (failed.some((c) => c.rule === "market_open")) {
        throw new AppError("market_closed", `no trade: market ${plan.marketId} is not open`);
      }
      if (failed.length > 0) {
        throw new AppError(
          "forbidden",
          `no trade: the risk check refused it (${failed.map((c) => c.detail).join("; ")})`,
        );
      }
      // Placed only once the user said yes, when their client asked to confirm trades.
      if (ctx.confirm !== undefined && plan.quote !== undefined) {
        const answer = await ctx.confirm({
          confirmId: `trade-${ctx.run.tradeCalls}`,
          marketId: plan.marketId,
          title: plan.title,
          outcome: plan.outcome,
          side: plan.side,
          shares: plan.shares,
          cost: plan.quote.cost,
          avgPrice: plan.quote.avgPrice,
        });
        if (answer !== "accepted") {
          throw new AppError(
            "forbidden",
            answer === "declined"
              ? "no trade: the user declined it"
              : "no trade: the user did not confirm it in time, so it was declined",
          );
        }
      }
      const proposed: TradeIntent = {
        userId: ctx.userId,
        key,
        marketId: plan.marketId,
        outcome: plan.outcome,
        side: plan.side,
        hundredths: Math.round(plan.shares * 100),
      };
      // The quoted cost is the most a buy may fill at: a price that moved since is refused.
      if (plan.side === "buy" && plan.quote) proposed.maxCostCents = Math.round(plan.quote.cost * 100);
      intent = (await journal.decide(proposed)).intent;
    }
    const trade = await exchange.trade({
      userId: ctx.userId,
      marketId: intent.marketId,
      outcome: intent.outcome,
      side: intent.side,
      shares: intent.hundredths / 100,
      ...(intent.maxCostCents === undefined ? {} : { maxCost: intent.maxCostCents / 100 }),
      idempotencyKey: key,
    });
    if (trade.side === "buy")
      ctx.run.stakedCredits = Math.round((ctx.run.stakedCredits + trade.cost) * 100) / 100;
    return {
      trade,
      stakedThisRun: ctx.run.stakedCredits,
      remainingCap: Math.max(0, ctx.services.limits.agentStakeCapCredits - ctx.run.stakedCredits),
      ...(risk ? { risk } : {}),
      summary: `${trade.side === "buy" ? "bought" : "sold"} ${trade.shares} ${trade.outcome} shares of ${trade.marketId} for ${credits(trade.cost)}`,
    };
  },
});

/**
 * `${requestId}:trade:${n}` for the run's nth `placeTrade` call, hashed when it would exceed the
 * exchange's 128-character key. Not the model's call id: a real model names its calls afresh when
 * a run is redelivered, and the key must still find the first attempt's decision.
 */
function idempotencyKey(ctx: ToolContext): string {
  const key = `${ctx.requestId}:trade:${ctx.run.tradeCalls}`;
  return key.length <= 128 ? key : `agent:${createHash("sha256").update(key).digest("hex")}`;
}
