import type { Config } from "../../../shared/config.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import { type Agent, type AgentSpec, createAgent } from "../agent/agent.js";
import { checkIntent } from "../platform/intent-check.js";
import { alertsAgent } from "./alerts-agent.js";
import { backtestAgent } from "./backtest-agent.js";
import { eplScoutAgent } from "./epl-scout-agent.js";
import { eplTradingAgent } from "./epl-trading-agent.js";
import { leagueStatsAgent } from "./league-stats-agent.js";
import { liveTradingAgent } from "./live-trading-agent.js";
import { oddsAnalystAgent } from "./odds-analyst-agent.js";
import { portfolioAgent } from "./portfolio-agent.js";
import { riskManagerAgent } from "./risk-manager-agent.js";
import { supportAgent } from "./support-agent.js";
import { walletAgent } from "./wallet-agent.js";

export type AgentPool = ReadonlyMap<AgentName, Agent>;

const agentSpecs: readonly AgentSpec[] = [
  eplTradingAgent,
  eplScoutAgent,
  liveTradingAgent,
  portfolioAgent,
  riskManagerAgent,
  oddsAnalystAgent,
  alertsAgent,
  walletAgent,
  leagueStatsAgent,
  backtestAgent,
  supportAgent,
];

/**
 * The eleven agents, built once per process and shared by every run: they hold instructions and
 * tools only, never a user's state. Agents without a model of their own use `anthropicModel`.
 * Every agent refuses the same requests before it runs (platform/intent-check.ts).
 */
export function createAgentPool(config: Pick<Config, "anthropicModel">): AgentPool {
  return new Map(
    agentSpecs.map((spec) => [
      spec.name,
      createAgent({
        ...spec,
        model: spec.model ?? config.anthropicModel,
        screen: (input) => checkIntent(input)?.message,
      }),
    ]),
  );
}
