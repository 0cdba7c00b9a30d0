import { Type as T } from "@sinclair/typebox";

/** The eleven agents of the shared pool and the intents that route to them (PROTOCOL.md). */
export const agentNames = [
  "eplTradingAgent",
  "eplScoutAgent",
  "liveTradingAgent",
  "portfolioAgent",
  "riskManagerAgent",
  "oddsAnalystAgent",
  "alertsAgent",
  "walletAgent",
  "leagueStatsAgent",
  "backtestAgent",
  "supportAgent",
] as const;
export type AgentName = (typeof agentNames)[number];

export const intents = {
  trade: "eplTradingAgent",
  scout: "eplScoutAgent",
  monitor: "liveTradingAgent",
  portfolio: "portfolioAgent",
  risk: "riskManagerAgent",
  odds: "oddsAnalystAgent",
  alert: "alertsAgent",
  wallet: "walletAgent",
  stats: "leagueStatsAgent",
  backtest: "backtestAgent",
  help: "supportAgent",
} as const satisfies Record<string, AgentName>;
export type Intent = keyof typeof intents;

export const AgentNameSchema = T.Union(agentNames.map((n) => T.Literal(n)));
export const IntentSchema = T.Union((Object.keys(intents) as Intent[]).map((n) => T.Literal(n)));

export function isAgentName(value: string): value is AgentName {
  return (agentNames as readonly string[]).includes(value);
}
