import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import type { AgentChunk } from "../../../shared/protocol/agent-frames.js";
import { agentNames } from "../../../shared/protocol/agents.js";
import { until } from "../../../test/support/polling.js";
import {
  type AgentHarness,
  createAgentHarness,
  outputsOf,
  stopOf,
  textOf,
  toolsCalled,
} from "../testing/agent-runs.js";
import {
  type BankRun,
  bankAsOf,
  bankFixtures,
  bankFreshBuyer,
  bankLiveMatch,
  bankTrader,
  questionBank,
} from "../testing/question-bank.js";
import { createTestPlatform, type TestPlatform } from "../testing/test-platform.js";

let platform: TestPlatform;
let agents: AgentHarness;

before(async () => {
  const live = createMemoryLiveStream();
  platform = await createTestPlatform({
    asOf: bankAsOf,
    openMatches: Object.values(bankFixtures),
    liveScores: live,
  });
  agents = createAgentHarness(platform.services);
  // The feed plays one match: Brentford lead at Burnley after half an hour.
  const topic = `match.${bankLiveMatch}` as const;
  await live.publish(topic, {
    matchId: bankLiveMatch,
    kind: "kickoff",
    minute: 0,
    score: { home: 0, away: 0 },
  });
  await live.publish(topic, {
    matchId: bankLiveMatch,
    kind: "goal",
    minute: 23,
    score: { home: 0, away: 1 },
    team: "Brentford FC",
  });
  await live.publish(topic, {
    matchId: bankLiveMatch,
    kind: "minute",
    minute: 30,
    score: { home: 0, away: 1 },
  });
  await until(
    async () => (await platform.services.live.match(bankLiveMatch))?.status === "live",
    5000,
    "the live match showing as live",
  );
  // Other traders move some prices away from where the model opened them.
  const { exchange } = platform;
  await exchange.trade({
    userId: "bank-mover",
    marketId: `${bankFixtures.arsenalChelsea}.1x2`,
    outcome: "away",
    side: "buy",
    shares: 60,
  });
  await exchange.trade({
    userId: "bank-mover",
    marketId: `${bankFixtures.brentfordWolves}.ou25`,
    outcome: "over",
    side: "buy",
    shares: 40,
  });
  await exchange.trade({
    userId: "bank-mover",
    marketId: `${bankFixtures.liverpoolWestHam}.1x2`,
    outcome: "draw",
    side: "buy",
    shares: 25,
  });
  // The bank's trader: a journaled agent trade, another position and a partial sale.
  await agents.run("eplTradingAgent", "buy 20 shares of Arsenal to beat Chelsea", { userId: bankTrader });
  await exchange.trade({
    userId: bankTrader,
    marketId: `${bankFixtures.brentfordWolves}.btts`,
    outcome: "yes",
    side: "buy",
    shares: 12,
  });
  await exchange.trade({
    userId: bankTrader,
    marketId: `${bankFixtures.arsenalChelsea}.1x2`,
    outcome: "home",
    side: "sell",
    shares: 5,
  });
  await exchange.trade({
    userId: bankFreshBuyer,
    marketId: `${bankFixtures.liverpoolWestHam}.1x2`,
    outcome: "home",
    side: "buy",
    shares: 50,
  });
});

after(async () => {
  await agents.close();
  await platform.close();
});

function bankRun(chunks: readonly AgentChunk[]): BankRun {
  return {
    text: textOf(chunks),
    outputs: (tool) => outputsOf(chunks, tool),
    output(tool, index = 0) {
      const out = outputsOf(chunks, tool)[index];
      if (out === undefined) throw new Error(`no finished ${tool} call #${index}`);
      return out as never;
    },
  };
}

/** The text streamed before `tool` was first called. */
function textBefore(chunks: readonly AgentChunk[], tool: string): string {
  const at = chunks.findIndex((c) => c.type === "agent.tool" && c.name === tool && c.status === "started");
  assert.ok(at >= 0, `${tool} was never called`);
  return textOf(chunks.slice(0, at));
}

test("the bank has at least six questions per agent, and scans, multi-part, backtests, whys and FAQs", () => {
  for (const agent of agentNames) {
    const count = questionBank.filter((q) => q.agent === agent).length;
    assert.ok(count >= 6, `${agent} has ${count} questions`);
  }
  const kinds = new Set(questionBank.map((q) => q.kind));
  for (const kind of ["scan", "multi-part", "backtest", "why", "faq", "refusal", "trade", "alert"] as const) {
    assert.ok(kinds.has(kind), `no ${kind} question`);
  }
});

describe("the question bank on the offline model: each answer calls its tools and states its facts", () => {
  for (const [i, q] of questionBank.entries()) {
    test(`${q.agent}: ${q.question}`, async () => {
      const chunks = await agents.run(q.agent, q.question, { userId: q.userId ?? `bank-user-${i}` });
      const text = textOf(chunks);
      assert.equal(stopOf(chunks), "end_turn", text);
      const called = toolsCalled(chunks);
      if (q.kind === "refusal") assert.deepEqual(called, [], "a refusal runs no tool");
      for (const tool of q.tools)
        assert.ok(called.includes(tool), `${tool} not called: ${called.join(", ")}`);
      for (const tool of q.forbidden ?? []) assert.ok(!called.includes(tool), `${tool} called`);
      const run = bankRun(chunks);
      for (const fact of q.facts(run)) assert.ok(text.includes(fact), `missing "${fact}" in:\n${text}`);
      if (q.statedBefore) {
        const said = textBefore(chunks, q.statedBefore.tool);
        for (const fact of q.statedBefore.facts(run)) {
          assert.ok(said.includes(fact), `"${fact}" not stated before ${q.statedBefore.tool}:\n${said}`);
        }
      }
    });
  }
});
