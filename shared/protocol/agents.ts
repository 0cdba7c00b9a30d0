import { Type as T } from "@sinclair/typebox";

/** The eleven agents of the shared pool and the intents that route to them (docs/protocol.md). */
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

/** One line per agent for `GET /api/agents` and the support agent. */
export const agentDescriptions: Record<AgentName, string> = {
  eplTradingAgent:
    "Analyses one fixture's markets against the model and places trades you explicitly ask for.",
  eplScoutAgent: "Scouts teams: form, standings, head-to-head and what the numbers say about a fixture.",
  liveTradingAgent: "Watches live matches and in-play prices and tells you what moved and why.",
  portfolioAgent: "Reviews your positions, their value at current prices and your profit and loss.",
  riskManagerAgent: "Checks a proposed trade or your book against stake caps and concentration limits.",
  oddsAnalystAgent: "Compares model probabilities with market prices to find value.",
  alertsAgent: "Creates, lists and deletes price and score alerts delivered on your user channel.",
  walletAgent: "Answers questions about your balance, deposits and ledger history.",
  leagueStatsAgent: "League tables, team form and season statistics from real Premier League results.",
  backtestAgent:
    "Runs a simple strategy over a past season's real results and reports P/L, hit rate and drawdown.",
  supportAgent: "Explains how the platform, markets and agents work.",
};
