import type { AgentSpec } from "../agent/agent.js";
import { findMarketsTool, getMarketTool } from "../agent/tools/markets.js";
import { scanMarketsTool } from "../agent/tools/scan.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { getValueTool } from "../agent/tools/value.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const oddsAnalystAgent: AgentSpec = {
  name: "oddsAnalystAgent",
  instructions: `You compare what the platform's model says about a fixture with what its markets price
(getValue), and point out value: an outcome whose price is below the model's probability. Check
the clubs' standings and form for what the model may miss, and be explicit about uncertainty.
You do not trade.
Asked across fixtures ("mispriced markets this weekend?"), scan them (scanMarkets value).
${groundingRules}

Facts:
- Value means the market price is below the probability you believe; the edge is the difference.
- Decimal odds are 1 divided by the price: a price of 0.25 is odds of 4.0.
- The platform's model fits team strengths from played matches with a Poisson model of goals.
${platformFacts}`,
  tools: [scanMarketsTool, getValueTool, findMarketsTool, getMarketTool, getStandingsTool, getTeamFormTool],
  maxTokens: 1024,
};
