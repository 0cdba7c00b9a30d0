import type { AgentName } from "../../shared/protocol/agents.js";

/**
 * The runs both sides of the benchmark make, in rotation: short questions that make the offline
 * model call tools (team form, standings) before it answers, so a run is a realistic two-step
 * agent loop rather than a bare echo.
 */
const runSpecs: readonly { agent: AgentName; input: string }[] = [
  { agent: "eplScoutAgent", input: "Arsenal form" },
  { agent: "leagueStatsAgent", input: "Arsenal form" },
  { agent: "eplScoutAgent", input: "Liverpool v Chelsea: who do the numbers favour?" },
  { agent: "leagueStatsAgent", input: "Show me the league table" },
];

export function runSpec(arrival: number): { agent: AgentName; input: string } {
  return runSpecs[arrival % runSpecs.length]!;
}
