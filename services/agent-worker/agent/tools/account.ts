import { Type as T } from "@sinclair/typebox";
import { createTool } from "../tool.js";

const NoInput = T.Object({}, { additionalProperties: false });
/** Positions given a market title and valued one by one; a book bigger than this is summarised. */
const maxPositionsDetailed = 50;

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
    "The user's open positions at current prices: shares, average cost, cost, value now, profit or " +
    "loss and what each pays if it wins; with totals for the book and the cash balance.",
  input: NoInput,
  async run(_input, ctx) {
    const { exchange } = ctx.services;
    const held = await exchange.getPositions({ userId: ctx.userId });
    const { balance } = await exchange.getWallet({ userId: ctx.userId });
    const titles = new Map<string, string>();
    for (const marketId of new Set(held.slice(0, maxPositionsDetailed).map((p) => p.marketId))) {
      titles.set(marketId, (await exchange.getMarket({ marketId })).title);
    }
    const positions = held.map((p) => {
      const cost = round2(p.shares * p.avgCost);
      const value = round2(p.shares * p.price);
      return { ...p, title: titles.get(p.marketId) ?? p.marketId, cost, value, pnl: round2(value - cost) };
    });
    const total = (pick: (p: (typeof positions)[number]) => number) =>
      round2(positions.reduce((s, p) => s + pick(p), 0));
    return {
      balance,
      positions,
      totals: {
        cost: total((p) => p.cost),
        value: total((p) => p.value),
        pnl: total((p) => p.pnl),
        payout: total((p) => p.payout),
      },
    };
  },
});

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
