import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset, shortName } from "../../shared/epl/dataset.js";
import { createLogger } from "../../shared/logger.js";
import type { AgentName } from "../../shared/protocol/agents.js";

/**
 * Issue 5: every one of the eleven agents, over a real WebSocket on the offline model, calls its
 * tools and answers with the figures those tools returned. The platform is the embedded one, so
 * the tools read the real exchange, wallet, standings and results.
 */
let platform: Platform;
let wsUrl: string;
let base: string;
const fixture = loadDataset().matches.find((m) => m.season === "2025-26" && m.status === "scheduled")!;
const [home, away] = [shortName(fixture.home), shortName(fixture.away)];

before(async () => {
  const config = loadConfig(
    {},
    { dataDir: "memory", port: 0, offlineTokenDelayMs: 0, logLevel: "silent", feedEnabled: false },
  );
  platform = await buildPlatform(config, createLogger(config));
  base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
  wsUrl = `${base.replace("http", "ws")}/ws`;
});

after(async () => {
  await platform?.close();
});

async function connect(userId: string): Promise<TestClient> {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  return TestClient.connect(wsUrl, ((await res.json()) as { token: string }).token);
}

async function run(
  client: TestClient,
  agent: AgentName,
  input: string,
): Promise<{ text: string; tools: Frame[] }> {
  const id = `${agent}-${Math.random().toString(36).slice(2)}`;
  client.send({ type: "agent.run", id, agent, input });
  const done = await client.take(
    (f) => f.id === id && (f.type === "agent.done" || f.type === "agent.error"),
    20_000,
  );
  assert.equal(done.type, "agent.done", JSON.stringify(done));
  assert.equal(done.stopReason, "end_turn");
  const frames = client.frames.filter((f) => f.id === id);
  return {
    text: frames
      .filter((f) => f.type === "agent.delta")
      .map((f) => f.text)
      .join(""),
    tools: frames.filter((f) => f.type === "agent.tool" && f.status === "finished"),
  };
}

/** Numbers as an answer writes them (12, 0.4312, 1000.00), found in the tools' outputs too. */
function sharedFigures(text: string, tools: Frame[]): string[] {
  const inText = new Set(text.match(/\d+(?:\.\d+)?/g) ?? []);
  const outputs = JSON.stringify(tools.map((t) => t.output));
  const inOutputs = new Set(
    (outputs.match(/-?\d+(?:\.\d+)?/g) ?? []).flatMap((n) => [
      n,
      Number(n).toFixed(2),
      String(Math.abs(Number(n))),
    ]),
  );
  return [...inText].filter((n) => n.length > 1 && inOutputs.has(n));
}

const cases: { agent: AgentName; input: string; tools: string[] }[] = [
  {
    agent: "eplTradingAgent",
    input: `Should I buy ${home} to beat ${away}?`,
    tools: ["findMarkets", "getValue"],
  },
  {
    agent: "eplScoutAgent",
    input: `How do ${home} and ${away} compare head to head?`,
    tools: ["getHeadToHead"],
  },
  {
    agent: "liveTradingAgent",
    input: `What's the score in ${home} v ${away} and how have prices moved?`,
    tools: ["getLiveScore"],
  },
  { agent: "portfolioAgent", input: "How is my portfolio doing?", tools: ["getPositions"] },
  {
    agent: "riskManagerAgent",
    input: `Is a stake of 50 credits on ${home} to beat ${away} within my limits?`,
    tools: ["checkTradeRisk"],
  },
  { agent: "oddsAnalystAgent", input: `Is there value in ${home} against ${away}?`, tools: ["getValue"] },
  {
    agent: "alertsAgent",
    input: `Alert me when ${home}'s win price goes above 0.9 against ${away}`,
    tools: ["createAlert"],
  },
  { agent: "walletAgent", input: "What is my balance?", tools: ["getWallet"] },
  { agent: "leagueStatsAgent", input: "Show me the league table", tools: ["getStandings"] },
  {
    agent: "backtestAgent",
    input: "Backtest backing the favourite in 2024-25 at 10 credits a bet",
    tools: ["runBacktest"],
  },
  {
    agent: "supportAgent",
    input: "Which agents are there and what are my limits?",
    tools: ["getPlatformInfo"],
  },
];

describe("each of the eleven agents over a real WebSocket", () => {
  for (const { agent, input, tools } of cases) {
    test(`${agent} calls ${tools.join(", ")} and answers with their figures`, async () => {
      const client = await connect(`ws-${agent}`);
      // Something to hold, so the portfolio agent has figures to report.
      if (agent === "portfolioAgent")
        await run(client, "eplTradingAgent", `buy 4 shares of ${home} to beat ${away}`);
      const answer = await run(client, agent, input);
      const called = answer.tools.map((t) => t.name);
      for (const tool of tools)
        assert.ok(called.includes(tool), `${agent} did not call ${tool}: ${called.join(", ")}`);
      const figures = sharedFigures(answer.text, answer.tools);
      assert.ok(
        figures.length >= 1,
        `${agent}'s answer quotes no figure its tools returned:\n${answer.text}`,
      );
      client.close();
    });
  }
});
