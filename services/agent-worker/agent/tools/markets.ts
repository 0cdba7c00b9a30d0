import { Type as T } from "@sinclair/typebox";
import { findFixtures } from "../../platform/fixtures.js";
import { createTool } from "../tool.js";
import { fixtureQuery, requireFixture } from "./fixture-query.js";

export const findMarketsTool = createTool({
  name: "findMarkets",
  description:
    'Finds fixtures and their markets by club names (fuzzy: "Arsenal v Chelsea", "Spurs") or by ' +
    "match id. Two clubs: their meetings; one club: its fixtures. Most tradeable first (open markets, " +
    "then the next to be played). Each market has its id, kind (1x2, ou25, btts), status and prices.",
  input: T.Object(
    {
      ...fixtureQuery,
      limit: T.Optional(
        T.Integer({ minimum: 1, maximum: 10, default: 3, description: "Fixtures to return." }),
      ),
      upcoming: T.Optional(
        T.Boolean({ description: "Put fixtures not yet kicked off before those in play (alerts)." }),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ teams, matchId, limit = 3, upcoming }, ctx) {
    requireFixture("findMarkets", { teams, matchId });
    return findFixtures(ctx.services, { teams, matchId, upcoming }, limit);
  },
});

export const getMarketTool = createTool({
  name: "getMarket",
  description:
    "One market: its fixture title, outcomes, status, current prices and liquidity, with its price " +
    "history (opening price, then after every trade; oldest first).",
  input: T.Object(
    {
      marketId: T.String({ minLength: 1, maxLength: 128, description: "e.g. 2025-26-arsenal-everton.1x2" }),
      historyLimit: T.Optional(T.Integer({ minimum: 1, maximum: 100, default: 20 })),
    },
    { additionalProperties: false },
  ),
  async run({ marketId, historyLimit = 20 }, ctx) {
    const { exchange } = ctx.services;
    const market = await exchange.getMarket({ marketId });
    const history = await exchange.priceHistory({ marketId, limit: historyLimit });
    return { ...market, history };
  },
});

export const getQuoteTool = createTool({
  name: "getQuote",
  description:
    "What buying or selling shares of an outcome would cost now (cost, average price, price after), " +
    "without trading.",
  input: T.Object(
    {
      marketId: T.String({ minLength: 1, maxLength: 128 }),
      outcome: T.String({
        minLength: 1,
        maxLength: 64,
        description: "home, draw, away, over, under, yes or no.",
      }),
      side: T.Optional(T.Union([T.Literal("buy"), T.Literal("sell")], { default: "buy" })),
      shares: T.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
    },
    { additionalProperties: false },
  ),
  async run({ marketId, outcome, side = "buy", shares }, ctx) {
    return ctx.services.exchange.quote({ marketId, outcome, side, shares });
  },
});
