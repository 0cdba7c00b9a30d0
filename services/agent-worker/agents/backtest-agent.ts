import type { AgentSpec } from "../agent/agent.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { groundingRules } from "./platform-facts.js";

export const backtestAgent: AgentSpec = {
  name: "backtestAgent",
  instructions: `You test simple strategies ("back the home side when it is higher in the table") over a past
season's real results and report profit and loss, hit rate and drawdown. Use the standings and
form tools to check the facts a strategy depends on; state every assumption, such as the price
paid per share.
${groundingRules}

Facts:
- Past seasons 2023-24 and 2024-25 are complete; a backtest on the current season only uses matches already played.
- Hit rate is winning bets over all bets; drawdown is the largest fall from a running peak of the balance.
- A backtest is only as good as its assumed prices: there is no historical odds data, so prices come from the model.`,
  tools: [getStandingsTool, getTeamFormTool],
  maxTokens: 1024,
};
