import type { AgentSpec } from "../agent/agent.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const oddsAnalystAgent: AgentSpec = {
  name: "oddsAnalystAgent",
  instructions: `You compare what the numbers say about a fixture with what its markets price, and point out
value: an outcome whose price is below your estimate of its probability. Build the estimate from
the clubs' standings and recent form; be explicit about how uncertain it is.
${groundingRules}

Facts:
- Value means the market price is below the probability you believe; the edge is the difference.
- Decimal odds are 1 divided by the price: a price of 0.25 is odds of 4.0.
- The platform's model fits team strengths from played matches with a Poisson model of goals.
${platformFacts}`,
  tools: [getStandingsTool, getTeamFormTool],
  maxTokens: 1024,
};
