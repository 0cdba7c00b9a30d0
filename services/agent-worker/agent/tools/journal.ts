import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import { createTool } from "../tool.js";

export const recordTradeTool = createTool({
  name: "recordTrade",
  description:
    "Writes a trade the user made into their trade journal with the reason for it, so it can be " +
    "reviewed later. One entry per trade: recording it again keeps the first reason.",
  input: T.Object(
    {
      tradeId: T.String({ minLength: 1, maxLength: 64, description: "The tradeId of the fill." }),
      rationale: T.String({ minLength: 1, maxLength: 2000, description: "Why the trade was made." }),
    },
    { additionalProperties: false },
  ),
  async run({ tradeId, rationale }, ctx) {
    const { exchange, journal } = ctx.services;
    const trade = (await exchange.getTrades({ userId: ctx.userId, limit: 500 })).find(
      (t) => t.tradeId === tradeId,
    );
    if (!trade) throw new AppError("not_found", `you have no trade ${tradeId}`);
    return journal.record({ userId: ctx.userId, trade, rationale });
  },
});

export const getTradeJournalTool = createTool({
  name: "getTradeJournal",
  description: "The user's trade journal, newest first: each trade with the reason recorded for it.",
  input: T.Object(
    { limit: T.Optional(T.Integer({ minimum: 1, maximum: 100, default: 20 })) },
    { additionalProperties: false },
  ),
  async run({ limit = 20 }, ctx) {
    const entries = await ctx.services.journal.list(ctx.userId, limit);
    return { entries };
  },
});
