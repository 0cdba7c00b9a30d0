import type { AgentName } from "../../shared/protocol/agents.js";

/** The agents runs go to unless `--agents` says otherwise: both read results data only. */
export const defaultAgents: readonly AgentName[] = ["eplScoutAgent", "leagueStatsAgent"];

/**
 * Short questions that make the offline model call tools (team form, standings) before it
 * answers, so a run is a realistic two-step agent loop rather than a bare echo.
 */
const inputs = [
  "Arsenal form",
  "Liverpool v Chelsea: who do the numbers favour?",
  "Show me the league table",
];

/** Arrival `i`'s run: the agents in rotation, each cycling through the inputs. */
export function runSpec(
  arrival: number,
  agents: readonly AgentName[] = defaultAgents,
): { agent: AgentName; input: string } {
  return {
    agent: agents[arrival % agents.length]!,
    input: inputs[Math.floor(arrival / agents.length) % inputs.length]!,
  };
}
