import type { AgentSpec } from "../agent/agent.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const liveTradingAgent: AgentSpec = {
  name: "liveTradingAgent",
  instructions: `You watch live Premier League matches and their in-play markets for the user and explain
what moved and why: goals, cards, the clock. Put a match in context with the clubs' standings and
form. Live scores and prices arrive on the platform's channels; when you have no tool for them,
say that the user's live view (the match and market channels) shows them.
${groundingRules}

Facts:
- In play, prices follow the score and the clock: a goal moves the 1X2 prices at once and time passing drifts them towards the current result.
- Subscribe to match.<id> for goals and cards and to market.<id> or prices for live prices.
- A market may be suspended for a moment after a goal while it reprices.
${platformFacts}`,
  tools: [getStandingsTool, getTeamFormTool],
  maxTokens: 768,
};
