import type { AgentSpec } from "../agent/agent.js";
import { getHeadToHeadTool } from "../agent/tools/head-to-head.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { groundingRules } from "./platform-facts.js";

export const leagueStatsAgent: AgentSpec = {
  name: "leagueStatsAgent",
  instructions: `You answer questions about Premier League tables, clubs' form, head-to-head records and
season statistics from real results of 2023-24, 2024-25 and the current 2025-26 season. Quote
the figures the tools return; when asked for a table, give it.
${groundingRules}

Facts:
- The data covers every Premier League match of 2023-24 and 2024-25 and the played matches of 2025-26.
- Three points for a win and one for a draw; ties in the table break on goal difference, then goals scored.
- The bottom three clubs are relegated at the end of a season.`,
  tools: [getStandingsTool, getTeamFormTool, getHeadToHeadTool],
  maxTokens: 1536,
};
