import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { standings, teamForm } from "../../../shared/epl/standings.js";
import type { AgentEvent } from "../../../shared/protocol/agent-frames.js";
import { type AgentName, agentNames } from "../../../shared/protocol/agents.js";
import { createOfflineProvider } from "../agent/offline-provider.js";
import { createAgentPool } from "./pool.js";

const epl = loadDataset();
const table = standings(epl, "2025-26");
const row = (team: string) => table.find((r) => r.team === team)!;

/** A question each agent should handle, and a figure or phrase its answer must contain. */
const cases: Record<AgentName, { input: string; expect: string }> = {
  eplTradingAgent: {
    input: "Should I buy Arsenal to beat Chelsea?",
    expect: `${row("Arsenal FC").points} points`,
  },
  eplScoutAgent: {
    input: "Scout Liverpool's recent form",
    expect: `Liverpool have taken ${teamForm(epl, "Liverpool FC", 5).points} of 15 points`,
  },
  liveTradingAgent: {
    input: "What moved in Everton vs Fulham?",
    expect: `${row("Everton FC").points} points`,
  },
  portfolioAgent: { input: "What is my profit and loss on my positions?", expect: "average cost" },
  riskManagerAgent: { input: "Is my stake too big for my balance?", expect: "5% of your balance" },
  oddsAnalystAgent: { input: "Is there value in Brentford at a price of 0.40?", expect: "Brentford" },
  alertsAgent: { input: "Alert me when Arsenal score a goal", expect: "score alert" },
  walletAgent: { input: "What is my balance?", expect: "GET /api/wallet" },
  leagueStatsAgent: {
    input: "Show me the league table",
    expect: `1. Arsenal: ${row("Arsenal FC").points} pts`,
  },
  backtestAgent: { input: "Backtest backing the 2024-25 champions", expect: "Liverpool" },
  supportAgent: { input: "How does settlement work?", expect: "1.00 credit" },
};

test("the pool holds each of the eleven agents once, and every one answers on the offline model", async () => {
  const pool = createAgentPool({ anthropicModel: "claude-sonnet-5-5" });
  assert.deepEqual([...pool.keys()].sort(), [...agentNames].sort());
  const provider = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
  for (const name of agentNames) {
    const events: AgentEvent[] = [];
    for await (const event of pool.get(name)!.run(
      { input: cases[name].input, userId: "u1", tier: "pro" },
      {
        provider,
        ctx: { userId: "u1", tier: "pro", requestId: `r-${name}`, services: { epl } },
        maxSteps: 4,
        signal: new AbortController().signal,
      },
    )) {
      events.push(event);
    }
    const text = events.flatMap((e) => (e.type === "agent.delta" ? [e.text] : [])).join("");
    assert.ok(text.includes(cases[name].expect), `${name} answered: ${text}`);
    assert.deepEqual(
      events.filter((e) => e.type === "agent.tool" && e.status === "failed"),
      [],
      `${name} had failing tools`,
    );
    const last = events.at(-1);
    assert.equal(last?.type === "agent.done" ? last.stopReason : last?.type, "end_turn", name);
  }
});
