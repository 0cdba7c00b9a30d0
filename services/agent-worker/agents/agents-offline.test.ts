import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { StandingRow } from "../../../shared/epl/standings.js";
import type { AlertView } from "../../../shared/journal/alert-book.js";
import type { MarketView, PricePointView } from "../../exchange/client.js";
import type { BacktestResult } from "../platform/backtest.js";
import type { FixtureView } from "../platform/fixtures.js";
import type { HeadToHead } from "../platform/head-to-head.js";
import type { MatchState } from "../platform/live-scores.js";
import type { ValueLine } from "../platform/model-value.js";
import type { TradePlan } from "../platform/trade-plan.js";
import {
  type AgentHarness,
  createAgentHarness,
  outputsOf,
  stopOf,
  textOf,
  toolsCalled,
} from "../testing/agent-runs.js";
import { createTestPlatform, type TestPlatform } from "../testing/test-platform.js";

// The data as it stood before Arsenal v Chelsea (1 March 2026), so that fixture can be traded.
const asOf = "2026-02-25T00:00:00Z";
const arsenalChelsea = "2025-26-arsenal-chelsea";
const brentfordWolves = "2025-26-brentford-wolverhampton-wanderers";
let platform: TestPlatform;
let agents: AgentHarness;

before(async () => {
  platform = await createTestPlatform({ asOf, openMatches: [arsenalChelsea, brentfordWolves] });
  agents = createAgentHarness(platform.services);
});
after(async () => {
  await agents.close();
  await platform.close();
});

/** Every run must end cleanly and call the tools it is expected to. */
function assertRan(chunks: Awaited<ReturnType<AgentHarness["run"]>>, tools: string[]) {
  assert.equal(stopOf(chunks), "end_turn", textOf(chunks));
  const called = toolsCalled(chunks);
  for (const tool of tools) assert.ok(called.includes(tool), `${tool} not called: ${called.join(", ")}`);
}

describe("each agent on the offline model answers from its tools", () => {
  test("eplTradingAgent analyses a fixture against the model without trading", async () => {
    const chunks = await agents.run("eplTradingAgent", "Should I buy Arsenal to beat Chelsea?", {
      userId: "t-analyst",
    });
    assertRan(chunks, ["findMarkets", "getValue", "getStandings", "getTeamForm"]);
    assert.deepEqual(
      toolsCalled(chunks).filter((t) => t === "placeTrade"),
      [],
    );
    const [value] = outputsOf<{ lines: ValueLine[] }>(chunks, "getValue");
    const home = value!.lines.find((l) => l.kind === "1x2" && l.outcome === "home")!;
    const text = textOf(chunks);
    assert.ok(text.includes(`home (Arsenal) ${home.model} vs ${home.price}`), text);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "t-analyst" }), []);
  });

  test("eplTradingAgent asked for both clubs' standings reads and writes their rows, not the table", async () => {
    const chunks = await agents.run(
      "eplTradingAgent",
      "Analyse Arsenal v Chelsea: its markets against the model's probabilities, and both clubs' standings and form.",
    );
    assertRan(chunks, ["findMarkets", "getValue", "getStandings", "getTeamForm"]);
    const [standing] = outputsOf<{ table: StandingRow[] }>(chunks, "getStandings");
    assert.deepEqual(
      standing!.table.map((r) => r.team),
      ["Arsenal FC", "Chelsea FC"],
    );
    const text = textOf(chunks);
    assert.match(text, /Arsenal are 1st in 2025-26 with 61 points/);
    assert.match(text, /Chelsea are 5th in 2025-26/);
    assert.doesNotMatch(text, /^\d+\. /m, "no league table listed");
  });

  test("eplScoutAgent compares two clubs head to head", async () => {
    const chunks = await agents.run("eplScoutAgent", "How do Arsenal and Chelsea compare head to head?");
    assertRan(chunks, ["getHeadToHead", "getStandings", "getTeamForm"]);
    const [h2h] = outputsOf<HeadToHead>(chunks, "getHeadToHead");
    assert.ok(
      textOf(chunks).includes(
        `Arsenal won ${h2h!.wins[0]}, Chelsea won ${h2h!.wins[1]}, ${h2h!.draws} drawn`,
      ),
    );
  });

  test("liveTradingAgent reads the match (no feed: scheduled) and the market's prices", async () => {
    const chunks = await agents.run(
      "liveTradingAgent",
      "What's the live score in Arsenal v Chelsea and how have prices moved?",
    );
    assertRan(chunks, ["getLiveScore", "findMarkets", "getMarket"]);
    const [live] = outputsOf<MatchState>(chunks, "getLiveScore");
    const [market] = outputsOf<MarketView & { history: PricePointView[] }>(chunks, "getMarket");
    assert.equal(live!.status, "scheduled");
    const text = textOf(chunks);
    assert.ok(text.includes("has not kicked off"), text);
    assert.ok(text.includes(`home ${market!.prices.home}`), text);
  });

  test("oddsAnalystAgent sets the model against the market", async () => {
    const chunks = await agents.run("oddsAnalystAgent", "Is there value in Brentford against Wolves?");
    assertRan(chunks, ["getValue"]);
    const [value] = outputsOf<{ lines: ValueLine[] }>(chunks, "getValue");
    const best = value!.lines[0]!;
    assert.ok(textOf(chunks).includes(`model ${best.model} against price ${best.price}`), textOf(chunks));
  });

  test("riskManagerAgent refuses a stake over the limits, naming the rule", async () => {
    const chunks = await agents.run(
      "riskManagerAgent",
      "Is a stake of 300 credits on Arsenal to beat Chelsea within my limits?",
      { userId: "t-risk" },
    );
    assertRan(chunks, ["findMarkets", "checkTradeRisk"]);
    const [plan] = outputsOf<TradePlan>(chunks, "checkTradeRisk");
    assert.equal(plan!.risk.withinLimits, false);
    const text = textOf(chunks);
    assert.ok(text.includes("outside your limits"), text);
    assert.ok(text.includes(`${plan!.quote!.cost.toFixed(2)} credits`), text);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "t-risk" }), []);
  });

  test("walletAgent reads the balance", async () => {
    const chunks = await agents.run("walletAgent", "What is my balance?", { userId: "t-wallet" });
    assertRan(chunks, ["getWallet"]);
    assert.ok(textOf(chunks).includes("Your balance is 1000.00 credits"), textOf(chunks));
  });

  test("leagueStatsAgent gives the table", async () => {
    const chunks = await agents.run("leagueStatsAgent", "Show me the league table");
    assertRan(chunks, ["getStandings"]);
    const [out] = outputsOf<{ table: StandingRow[] }>(chunks, "getStandings");
    const top = out!.table[0]!;
    assert.ok(
      textOf(chunks).includes(`1. ${top.team.replace(/ FC$/, "")}: ${top.points} pts`),
      textOf(chunks),
    );
  });

  test("supportAgent answers from the platform's state", async () => {
    const chunks = await agents.run("supportAgent", "Which agents are there and what are my limits?");
    assertRan(chunks, ["getPlatformInfo"]);
    const [info] = outputsOf<{ openMarkets: number }>(chunks, "getPlatformInfo");
    assert.equal(info!.openMarkets, 6);
    assert.ok(textOf(chunks).includes("6 markets are open right now, on 2 fixtures"), textOf(chunks));
  });

  test("alertsAgent creates, lists and deletes alerts, and a price move fires one exactly once", async () => {
    const user = "t-alerts";
    const created = await agents.run(
      "alertsAgent",
      "Alert me when Arsenal's win price goes above 0.65 against Chelsea",
      {
        userId: user,
      },
    );
    assertRan(created, ["findMarkets", "createAlert"]);
    const [{ alert }] = outputsOf<{ alert: AlertView }>(created, "createAlert") as [{ alert: AlertView }];
    assert.deepEqual(
      {
        kind: alert.kind,
        ...(alert.kind === "price"
          ? { m: alert.marketId, o: alert.outcome, d: alert.direction, p: alert.price }
          : {}),
      },
      { kind: "price", m: `${arsenalChelsea}.1x2`, o: "home", d: "above", p: 0.65 },
    );
    assert.ok(textOf(created).includes(`Alert ${alert.alertId} is set`), textOf(created));

    const score = await agents.run("alertsAgent", "Tell me when Arsenal score against Chelsea", {
      userId: user,
    });
    assertRan(score, ["createAlert"]);

    const listed = await agents.run("alertsAgent", "List my alerts", { userId: user });
    assertRan(listed, ["listAlerts"]);
    assert.ok(textOf(listed).includes("You have 2 alerts"), textOf(listed));

    const rise = {
      topic: `market.${arsenalChelsea}.1x2`,
      data: { prices: { home: 0.66, draw: 0.2, away: 0.14 } },
    };
    const fired = await platform.services.alerts.matching(rise);
    assert.deepEqual(
      fired.map((f) => [f.userId, f.data.kind, f.data.alert.alertId]),
      [[user, "alert", alert.alertId]],
    );
    assert.deepEqual(await platform.services.alerts.matching(rise), []);
    const goal = await platform.services.alerts.matching({
      topic: `match.${arsenalChelsea}`,
      data: { matchId: arsenalChelsea, kind: "goal", minute: 12, score: { home: 1, away: 0 } },
    });
    assert.equal(goal.length, 1);

    const scoreAlert = (await platform.services.alerts.list(user))[0]!;
    const deleted = await agents.run("alertsAgent", `Delete alert ${scoreAlert.alertId}`, { userId: user });
    assertRan(deleted, ["deleteAlert"]);
    assert.deepEqual(await platform.services.alerts.list(user), []);
  });

  test("backtestAgent reports P/L, hit rate and drawdown on 2024-25 with progress frames", async () => {
    const chunks = await agents.run(
      "backtestAgent",
      "Backtest backing the favourite in 2024-25 at 10 credits a bet",
    );
    assertRan(chunks, ["runBacktest"]);
    const progress = chunks.filter(
      (c) =>
        c.type === "agent.tool" &&
        c.name === "runBacktest" &&
        c.status === "started" &&
        c.output !== undefined,
    );
    assert.ok(progress.length >= 5, `${progress.length} progress frames`);
    const [r] = outputsOf<BacktestResult>(chunks, "runBacktest");
    assert.equal(r!.season, "2024-25");
    assert.equal(r!.bets, 380);
    const text = textOf(chunks);
    for (const figure of [
      `profit ${r!.profit.toFixed(2)} credits`,
      `hit rate of ${(r!.hitRate * 100).toFixed(1)}%`,
      `Maximum drawdown ${r!.maxDrawdown.toFixed(2)} credits`,
    ]) {
      assert.ok(text.includes(figure), `${figure} missing: ${text}`);
    }
  });
});

describe("the trading agent trades only on an explicit instruction, once, within the risk checks", () => {
  const user = "t-trader";

  test("'buy 10 shares of Arsenal to beat Chelsea' makes exactly one real trade, journaled", async () => {
    const instruction = "buy 10 shares of Arsenal to beat Chelsea";
    const chunks = await agents.run("eplTradingAgent", instruction, {
      userId: user,
      requestId: "run-trade-1",
    });
    assertRan(chunks, ["findMarkets", "placeTrade", "recordTrade"]);
    const [fixtures] = outputsOf<{ fixtures: FixtureView[] }>(chunks, "findMarkets");
    assert.equal(fixtures!.fixtures[0]!.matchId, arsenalChelsea);

    const trades = await platform.exchange.getTrades({ userId: user });
    assert.equal(trades.length, 1);
    const [trade] = trades;
    assert.deepEqual(
      [trade!.marketId, trade!.outcome, trade!.side, trade!.shares],
      [`${arsenalChelsea}.1x2`, "home", "buy", 10],
    );
    const wallet = await platform.exchange.getWallet({ userId: user });
    assert.equal(wallet.balance, Math.round((1000 - trade!.cost) * 100) / 100);
    const positions = await platform.exchange.getPositions({ userId: user });
    assert.deepEqual(
      positions.map((p) => [p.marketId, p.outcome, p.shares]),
      [[`${arsenalChelsea}.1x2`, "home", 10]],
    );
    const journal = await platform.services.journal.list(user, 10);
    assert.equal(journal.length, 1);
    assert.equal(journal[0]!.tradeId, trade!.tradeId);
    assert.ok(journal[0]!.rationale.includes(instruction));
    const text = textOf(chunks);
    assert.ok(text.includes(`for ${trade!.cost.toFixed(2)} credits`), text);
    assert.ok(text.includes(`Your balance is now ${wallet.balance.toFixed(2)} credits`), text);
  });

  test("a redelivered run of the same request does not trade again", async () => {
    const again = await agents.run("eplTradingAgent", "buy 10 shares of Arsenal to beat Chelsea", {
      userId: user,
      requestId: "run-trade-1",
    });
    assertRan(again, ["placeTrade"]);
    assert.equal((await platform.exchange.getTrades({ userId: user })).length, 1);
    assert.equal((await platform.services.journal.list(user, 10)).length, 1);
  });

  test("the portfolio agent values the position the trade opened", async () => {
    const chunks = await agents.run("portfolioAgent", "What is my profit and loss on my positions?", {
      userId: user,
    });
    assertRan(chunks, ["getPositions"]);
    const [book] = outputsOf<{ totals: { value: number; pnl: number } }>(chunks, "getPositions");
    const text = textOf(chunks);
    assert.ok(text.includes(`worth ${book!.totals.value.toFixed(2)} credits`), text);
    assert.ok(text.includes("You hold 1 position"), text);
  });

  test("an instruction over the per-run stake cap is refused by the risk check, and nothing trades", async () => {
    const chunks = await agents.run("eplTradingAgent", "buy 200 shares of Arsenal to beat Chelsea", {
      userId: "t-capped",
    });
    assert.equal(stopOf(chunks), "end_turn");
    const failed = chunks.filter(
      (c) => c.type === "agent.tool" && c.name === "placeTrade" && c.status === "failed",
    );
    assert.equal(failed.length, 1);
    assert.match(JSON.stringify(failed[0]), /"code":"forbidden".*per-run cap of 100\.00 credits/);
    assert.ok(textOf(chunks).includes("the risk check refused it"), textOf(chunks));
    console.log(textOf(chunks));
    assert.deepEqual(await platform.exchange.getTrades({ userId: "t-capped" }), []);
  });

  test("'over 2.5' and 'both teams to score' trade those markets", async () => {
    await agents.run("eplTradingAgent", "Buy 5 shares of over 2.5 goals in Brentford v Wolves", {
      userId: "t-kinds",
    });
    await agents.run(
      "eplTradingAgent",
      "Back both teams to score in Brentford v Wolves with a stake of 3 credits",
      {
        userId: "t-kinds",
      },
    );
    const trades = await platform.exchange.getTrades({ userId: "t-kinds" });
    assert.deepEqual(trades.map((t) => [t.marketId, t.outcome]).sort(), [
      [`${brentfordWolves}.btts`, "yes"],
      [`${brentfordWolves}.ou25`, "over"],
    ]);
    const btts = trades.find((t) => t.marketId.endsWith(".btts"))!;
    assert.ok(btts.cost <= 3 && btts.cost > 2.9, `stake of 3 credits cost ${btts.cost}`);
  });
});
