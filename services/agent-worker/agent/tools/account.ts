import { Type as T } from "@sinclair/typebox";
import { createTool } from "../tool.js";

const NoInput = T.Object({}, { additionalProperties: false });

export const getWalletTool = createTool({
  name: "getWallet",
  description: "The user's cash balance in credits and their most recent trades (newest first).",
  input: T.Object(
    { recentTrades: T.Optional(T.Integer({ minimum: 0, maximum: 50, default: 5 })) },
    { additionalProperties: false },
  ),
  async run({ recentTrades = 5 }, ctx) {
    const { exchange } = ctx.services;
    const wallet = await exchange.getWallet({ userId: ctx.userId });
    const trades =
      recentTrades === 0 ? [] : await exchange.getTrades({ userId: ctx.userId, limit: recentTrades });
    return { ...wallet, recentTrades: trades };
  },
});

export const getPositionsTool = createTool({
  name: "getPositions",
  description:
    "The user's portfolio: every outcome they traded with shares, average cost, cost, price now, " +
    "value at the sell-back quote (what selling the shares back would pay now, their own price " +
    "impact included), unrealised P&L (value − cost), realised P&L (from sells and settlements) " +
    "and what it pays if it wins; with totals, the cash balance and equity (balance + value).",
  input: NoInput,
  async run(_input, ctx) {
    return ctx.services.exchange.getPortfolio({ userId: ctx.userId });
  },
});
