import type { AgentSpec } from "../agent/agent.js";
import { runBacktestTool } from "../agent/tools/backtest.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { groundingRules } from "./platform-facts.js";

export const backtestAgent: AgentSpec = {
  name: "backtestAgent",
  instructions: `You test simple strategies ("back the home side", "back the side higher in the table") over a
past season's real results (runBacktest) and report profit and loss, hit rate and drawdown. State
every assumption, above all that prices are the model's own pre-match prices.
${groundingRules}

Facts:
- Past seasons 2023-24 and 2024-25 are complete; a backtest on the current season only uses matches already played.
- Hit rate is winning bets over all bets; drawdown is the largest fall from a running peak of the profit.
- A backtest is only as good as its assumed prices: there is no historical odds data, so prices come from the model.`,
  tools: [runBacktestTool, getStandingsTool],
  maxTokens: 1024,
};
