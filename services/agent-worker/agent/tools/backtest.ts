import { Type as T } from "@sinclair/typebox";
import { seasons } from "../../../../shared/epl/dataset.js";
import { defaultThreshold, runBacktest, type Strategy, strategies } from "../../platform/backtest.js";
import { createTool } from "../tool.js";

export const runBacktestTool = createTool({
  name: "runBacktest",
  description:
    "Backs one outcome in the played matches of a season at the model's pre-match price (fitted on " +
    "the results before each match; there is no historical odds data; `value` prices at base rates) and reports bets, wins, hit " +
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
      threshold: T.Optional(
        T.Number({
          minimum: 0.01,
          maximum: 0.5,
          description: `value only: the smallest model-minus-price edge to bet on (default ${defaultThreshold}).`,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ season, strategy, stake = 10, threshold }, ctx) {
    return runBacktest(
      ctx.services.epl,
      { season, strategy, stake, ...(threshold === undefined ? {} : { threshold }) },
      (p) => ctx.progress(p),
      ctx.signal,
    );
  },
});
