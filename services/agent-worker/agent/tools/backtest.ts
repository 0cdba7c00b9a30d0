import { Type as T } from "@sinclair/typebox";
import { seasons } from "../../../../shared/epl/dataset.js";
import { runBacktest, type Strategy, strategies } from "../../platform/backtest.js";
import { createTool } from "../tool.js";

export const runBacktestTool = createTool({
  name: "runBacktest",
  description:
    "Backs one outcome in every played match of a season at the model's pre-match price (fitted on " +
    "the results before each match; there is no historical odds data) and reports bets, wins, hit " +
    "rate, staked, returned, profit, ROI and the maximum drawdown. Streams progress while it runs. " +
    `Strategies: ${Object.entries(strategies)
      .map(([k, v]) => `${k} (${v})`)
      .join(", ")}.`,
  input: T.Object(
    {
      season: T.Union(
        seasons.map((s) => T.Literal(s)),
        { description: "e.g. 2024-25" },
      ),
      strategy: T.Union(
        (Object.keys(strategies) as Strategy[]).map((s) => T.Literal(s)),
        { default: "favourite" },
      ),
      stake: T.Optional(
        T.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 10, description: "Credits per bet." }),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ season, strategy, stake = 10 }, ctx) {
    return runBacktest(ctx.services.epl, { season, strategy, stake }, (p) => ctx.progress(p), ctx.signal);
  },
});
