import assert from "node:assert/strict";
import { test } from "node:test";
import { actionRates, agentCycle, defaultCapacityModel, totalRunsPerHour } from "./user-model.js";

test("the peak-hour user is the database model's average hour × 6: 3 trades, 9 quotes, 3 agent runs", () => {
  assert.equal(defaultCapacityModel.tradesPerHour, 3);
  assert.equal(defaultCapacityModel.quotesPerHour, 9);
  assert.equal(totalRunsPerHour(defaultCapacityModel), 3);
});

test("a step's rates: users × per-hour × compression / 3600 s", () => {
  // 1,200 users, one user-hour in 60 s: each action 60× its real rate.
  const rates = actionRates(defaultCapacityModel, 1200, 60);
  assert.equal(rates.trade, (1200 * 3 * 60) / 3600);
  assert.equal(rates.quote, (1200 * 9 * 60) / 3600);
  assert.equal(rates.agentRun, (1200 * 3 * 60) / 3600);
  assert.equal(rates.reconnect, (1200 * 2 * 60) / 3600);
  assert.equal(actionRates(defaultCapacityModel, 1200, 1).trade, 1);
});

test("the agent cycle gives each agent its share of runs, spread out", () => {
  const cycle = agentCycle(defaultCapacityModel);
  // Quarter-run units: 4 + 2 + 2 + 2 + 1 + 1 = 12 slots.
  assert.equal(cycle.length, 12);
  const count = (agent: string) => cycle.filter((a) => a === agent).length;
  assert.equal(count("eplTradingAgent"), 4);
  assert.equal(count("liveTradingAgent"), 2);
  assert.equal(count("leagueStatsAgent"), 1);
  // Spread: the trading agent never takes two slots in a row.
  for (let i = 1; i < cycle.length; i++) {
    assert.ok(!(cycle[i] === "eplTradingAgent" && cycle[i - 1] === "eplTradingAgent"), cycle.join(","));
  }
});
