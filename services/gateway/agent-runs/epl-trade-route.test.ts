import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FinishedRun } from "../../../shared/protocol/server-frames.js";
import { type AgentHarness, createAgentHarness } from "../../agent-worker/testing/agent-runs.js";
import { createTestPlatform, type TestPlatform } from "../../agent-worker/testing/test-platform.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { eplTradeInput } from "./epl-trade-route.js";

// Before Arsenal v Chelsea of 1 March 2026, so its markets are open.
const asOf = "2026-02-25T00:00:00Z";
const marketId = "2025-26-arsenal-chelsea.1x2";
let platform: TestPlatform;
let gateway: Harness;
let agents: AgentHarness;

before(async () => {
  platform = await createTestPlatform({ asOf, openMatches: ["2025-26-arsenal-chelsea"] });
  gateway = await startGateway();
  agents = createAgentHarness(platform.services, gateway.runQueue);
});
after(async () => {
  await agents.worker.stop();
  await gateway.close();
  await platform.close();
});

const post = (body: unknown, user: string, accept = "application/json") =>
  gateway.app.inject({
    method: "POST",
    url: "/api/epl/trade",
    headers: { authorization: `Bearer ${tokenFor(user)}`, accept },
    payload: body as Record<string, unknown>,
  });

describe("POST /api/epl/trade runs the trading agent on one fixture", () => {
  test("the body becomes an instruction, an order or a request for analysis", () => {
    const data = platform.dataset;
    assert.equal(
      eplTradeInput({ homeTeam: "arsenal", awayTeam: "Chelsea FC", outcome: "away", stake: 20 }, data),
      "Buy the away side with a stake of 20 credits in Arsenal v Chelsea.",
    );
    assert.match(
      eplTradeInput({ homeTeam: "Arsenal", awayTeam: "Chelsea" }, data),
      /^Analyse Arsenal v Chelsea/,
    );
    assert.throws(() => eplTradeInput({ homeTeam: "Arsenal", awayTeam: "Arsenal" }, data), /same club/);
  });

  test("outcome and stake buy that outcome for at most the stake (JSON form)", async () => {
    const res = await post(
      { homeTeam: "Arsenal", awayTeam: "Chelsea", outcome: "home", stake: 20 },
      "epl-json",
    );
    assert.equal(res.statusCode, 200, res.body);
    const run = res.json() as FinishedRun;
    assert.equal(run.stopReason, "end_turn");
    assert.deepEqual(
      run.toolCalls.map((c) => [c.name, c.status]),
      [
        ["findMarkets", "finished"],
        ["getValue", "finished"],
        ["checkTradeRisk", "finished"],
        ["placeTrade", "finished"],
        ["recordTrade", "finished"],
      ],
    );
    // The trade's stake, price and expected value come before its fill in the answer.
    assert.match(
      run.text,
      /^Before trading: buying [\d.]+ shares of home .* stakes [\d.]+ credits .* expected value is /,
    );
    const trades = await platform.exchange.getTrades({ userId: "epl-json" });
    assert.deepEqual(
      trades.map((t) => [t.marketId, t.outcome]),
      [[marketId, "home"]],
    );
    assert.ok(trades[0]!.cost <= 20 && trades[0]!.cost > 19.9, `cost ${trades[0]!.cost}`);
    assert.ok(run.text.includes(`for ${trades[0]!.cost.toFixed(2)} credits`), run.text);
  });

  test("an instruction streams the run as SSE with its tool frames", async () => {
    const res = await post(
      { homeTeam: "Arsenal", awayTeam: "Chelsea", instruction: "buy 10 shares of Chelsea to win" },
      "epl-sse",
      "text/event-stream",
    );
    assert.equal(res.statusCode, 200);
    const events = [...res.body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    assert.equal(events[0], "agent.accepted");
    assert.equal(events.at(-1), "agent.done");
    assert.match(res.body, /"name":"placeTrade","status":"finished"/);
    const trades = await platform.exchange.getTrades({ userId: "epl-sse" });
    assert.deepEqual(
      trades.map((t) => [t.marketId, t.outcome, t.shares]),
      [[marketId, "away", 10]],
    );
  });

  test("an unknown club is 404 before any run starts", async () => {
    const res = await post({ homeTeam: "Arsenal", awayTeam: "Real Madrid" }, "epl-404");
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, "not_found");
  });
});
