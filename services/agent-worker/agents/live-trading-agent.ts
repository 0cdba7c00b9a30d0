import type { AgentSpec } from "../agent/agent.js";
import { getLiveScoreTool } from "../agent/tools/live-score.js";
import { findMarketsTool, getMarketTool } from "../agent/tools/markets.js";
import { scanMarketsTool } from "../agent/tools/scan.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { getValueTool } from "../agent/tools/value.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const liveTradingAgent: AgentSpec = {
  name: "liveTradingAgent",
  instructions: `You watch live Premier League matches and their in-play markets for the user and explain
what moved and why: goals, cards, the clock. Read the match (getLiveScore), its markets and price
history (findMarkets, getMarket) and the model's in-play view (getValue); put it in context with
the clubs' standings and form. A match the feed is not playing is scheduled or already finished:
say which. You do not trade. Asked across fixtures ("what's moving live?"), scan
them (scanMarkets: movers, live) instead of picking one.
${groundingRules}

Facts:
- In play, prices follow the score and the clock: a goal moves the 1X2 prices at once and time passing drifts them towards the current result.
- Subscribe to match.<id> for goals and cards and to market.<id> or prices for live prices.
- A market may be suspended for a moment after a goal while it reprices.
${platformFacts}`,
  tools: [
    scanMarketsTool,
    getLiveScoreTool,
    findMarketsTool,
    getMarketTool,
    getValueTool,
    getStandingsTool,
    getTeamFormTool,
  ],
  maxTokens: 768,
};
