import { Type as T } from "@sinclair/typebox";
import { biggestMoves, liveMatches, modelGaps } from "../../platform/market-scan.js";
import { createTool } from "../tool.js";

export const scanMarketsTool = createTool({
  name: "scanMarkets",
  description:
    "Scans every fixture with markets on the exchange, not just one: `movers` the markets whose " +
    "prices moved most since they opened; `value` each fixture's largest gap between the model's " +
    "probability and the market price (positive: the market underprices it), largest first; `live` " +
    "the matches being played now with score, minute and 1X2 prices.",
  input: T.Object(
    {
      scan: T.Union([T.Literal("movers"), T.Literal("value"), T.Literal("live")]),
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 20, default: 5 })),
    },
    { additionalProperties: false },
  ),
  async run({ scan, limit = 5 }, ctx) {
    const services = ctx.services;
    const openMarkets = (await services.exchange.listMarkets({ status: "open" })).length;
    if (scan === "movers") return { scan, openMarkets, moves: await biggestMoves(services, limit) };
    if (scan === "value") return { scan, openMarkets, gaps: await modelGaps(services, limit) };
    return { scan, openMarkets, matches: await liveMatches(services, limit) };
  },
});
