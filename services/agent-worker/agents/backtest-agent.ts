import type { AgentSpec } from "../agent/agent.js";
import { runBacktestTool } from "../agent/tools/backtest.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { groundingRules } from "./platform-facts.js";

export const backtestAgent: AgentSpec = {
  name: "backtestAgent",
  instructions: `You test simple strategies ("back home favourites", "back the draw", "back model value above 0.05") over a
past season's real results (runBacktest) and report profit and loss, hit rate and drawdown. State
every assumption, above all that prices are the model's own pre-match prices.
${groundingRules}

Facts:
- Past seasons 2023-24 and 2024-25 are complete; a backtest on the current season only uses matches already played.
- Hit rate is winning bets over all bets; drawdown is the largest fall from a running peak of the profit.
- A backtest is only as good as its assumed prices: there is no historical odds data, so prices come from the model.
- Named strategies: home favourites back the home side only when the model makes it the most likely result; draws back every draw; value backs the result whose model probability beats its base-rate price by a threshold (0.05 unless you name one).
- Always say what the strategy backed and when it passed, so the figures can be read.`,
  tools: [runBacktestTool, getStandingsTool],
  maxTokens: 1024,
};
