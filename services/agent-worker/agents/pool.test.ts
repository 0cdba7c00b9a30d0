import assert from "node:assert/strict";
import { test } from "node:test";
import { agentNames } from "../../../shared/protocol/agents.js";
import { offlineSkills } from "../agent/offline/skills.js";
import { createAgentPool } from "./pool.js";

/** Each agent's tools: the table of docs and reports, checked against the pool. */
const toolsOf = {
  eplTradingAgent: [
    "findMarkets",
    "getMarket",
    "getQuote",
    "getValue",
    "scanMarkets",
    "getStandings",
    "getTeamForm",
    "checkTradeRisk",
    "placeTrade",
    "recordTrade",
    "getWallet",
  ],
  eplScoutAgent: ["getStandings", "getTeamForm", "getHeadToHead"],
  liveTradingAgent: [
    "scanMarkets",
    "getLiveScore",
    "findMarkets",
    "getMarket",
    "getValue",
    "getStandings",
    "getTeamForm",
  ],
  portfolioAgent: ["getPositions", "getWallet", "getTradeJournal"],
  riskManagerAgent: ["checkTradeRisk", "findMarkets", "getPositions", "getWallet"],
  oddsAnalystAgent: ["scanMarkets", "getValue", "findMarkets", "getMarket", "getStandings", "getTeamForm"],
  alertsAgent: ["findMarkets", "createAlert", "listAlerts", "deleteAlert"],
  walletAgent: ["getWallet"],
  leagueStatsAgent: ["getStandings", "getTeamForm", "getHeadToHead"],
  backtestAgent: ["runBacktest", "getStandings"],
  supportAgent: ["searchFaq", "getPlatformInfo"],
};

test("the pool holds each of the eleven agents once, with its tools", async () => {
  const pool = createAgentPool({ anthropicModel: "claude-test-model" });
  assert.deepEqual([...pool.keys()].sort(), [...agentNames].sort());
  for (const name of agentNames) {
    assert.deepEqual(
      pool.get(name)!.tools.map((t) => t.name),
      toolsOf[name],
      name,
    );
  }
});

test("the offline model has a skill for every tool an agent offers", () => {
  const skilled = new Set(offlineSkills.map((s) => s.tool));
  const tools = new Set(Object.values(toolsOf).flat());
  assert.deepEqual(
    [...tools].filter((t) => !skilled.has(t)),
    [],
  );
});
