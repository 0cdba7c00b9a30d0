import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LiveEvent } from "../../shared/bus/live-stream/live-stream.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { winningOutcome } from "../../shared/epl/markets.js";
import { pause, until } from "../../test/support/polling.js";
import { createMarketFeed, defaultFeedSeed, type MarketFeed, scheduleRounds } from "./market-feed.js";
import type { MatchEventData } from "./match-player.js";
import { simulatedScript } from "./match-script.js";
import { createMemoryLeaseTable } from "./memory-leader-lease.js";
import { createFeedWorld, type FeedWorld, fastFeedConfig, matchData } from "./testing/feed-world.js";

/** Checks one match's events: the script's shape, and a score that moves only on goals. */
function assertWellFormed(events: readonly MatchEventData[], home: string, away: string): void {
  assert.equal(events[0]?.kind, "kickoff");
  assert.equal(events.at(-1)?.kind, "fulltime");
  const minutes = events.filter((e) => e.kind === "minute").map((e) => e.minute);
  assert.deepEqual(
    minutes,
    Array.from({ length: 90 }, (_, i) => i + 1),
  );
  const order = events.map((e) => e.kind).filter((k) => k !== "minute" && k !== "goal" && k !== "card");
  assert.deepEqual(order, ["kickoff", "halftime", "second_half", "fulltime"]);
  let score = { home: 0, away: 0 };
  let minute = 0;
  for (const e of events) {
    assert.ok(e.minute >= minute, `minute ${e.minute} after ${minute}`);
    minute = e.minute;
    if (e.kind === "goal") {
      const side = e.team === home ? "home" : e.team === away ? "away" : assert.fail(`goal by ${e.team}`);
      score = { ...score, [side]: score[side] + 1 };
    }
    assert.deepEqual(e.score, score, `${e.kind} at ${e.minute}'`);
  }
}

describe("market feed", () => {
  const rounds = scheduleRounds(loadDataset());
  const [a, b, c] = rounds[0]!;
  const d = rounds[1]![0]!;
  let world: FeedWorld;
  const feeds: MarketFeed[] = [];
  const feed = (matchIds: string[], table = createMemoryLeaseTable(300)) => {
    const f = createMarketFeed({
      config: fastFeedConfig,
      live: world.live,
      exchange: world.exchange,
      dataset: world.dataset,
      model: world.model,
      lease: table.lease(),
      matchIds,
    });
    feeds.push(f);
    return f;
  };

  before(async () => {
    world = await createFeedWorld([a!.id, b!.id, c!.id, d.id]);
  });
  after(async () => {
    await Promise.all(feeds.map((f) => f.stop()));
    await world.close();
  });

  test("rounds play in order; each match's events are in order and its score moves only on goals", async () => {
    const events = world.record("match.*");
    const f = feed([a!.id, d.id]);
    f.start();
    const done = () => matchData(events).filter((e) => e.kind === "fulltime").length === 2;
    await until(done, 8000, "both full times");
    await f.stop();
    for (const fixture of [a!, d])
      assertWellFormed(matchData(events, fixture.id), fixture.home, fixture.away);
    const first = events.filter((e) => (e.data as MatchEventData).matchId === a!.id);
    const second = events.filter((e) => (e.data as MatchEventData).matchId === d.id);
    const gapMs = Date.parse(second[0]!.time) - Date.parse(first.at(-1)!.time);
    assert.ok(gapMs >= fastFeedConfig.feedRoundGapMs, `next round ${gapMs} ms after the last full time`);
    const rates = world.model.rates(a!.home, a!.away);
    const goals = simulatedScript(a!.id, rates, defaultFeedSeed).filter((h) => h.kind === "goal");
    const final = matchData(events, a!.id).at(-1)!.score;
    assert.equal(final.home + final.away, goals.length, "full-time score is the sum of the goals");
  });

  test("a goal suspends the markets, which reopen at prices that favour the scorer; full time settles once", async () => {
    const fixture = b!;
    const rates = world.model.rates(fixture.home, fixture.away);
    const script = simulatedScript(fixture.id, rates, defaultFeedSeed);
    const goal = script.find((h) => h.kind === "goal" && h.minute < 80);
    assert.ok(goal?.side, "the seed gives this fixture a goal before the 80th minute");
    let home = 0;
    let away = 0;
    for (const h of script) if (h.kind === "goal") h.side === "home" ? home++ : away++;
    const winner = winningOutcome("1x2", { home, away });
    const market = `${fixture.id}.1x2`;
    const bought = await world.exchange.trade({
      userId: "winner",
      marketId: market,
      outcome: winner,
      side: "buy",
      shares: 10,
    });

    const atKickoff = (await world.exchange.getMarket({ marketId: market })).prices;
    const matchEvents = world.record(`match.${fixture.id}`);
    const marketEvents = world.record(`market.${market}`);
    const overUnderEvents = world.record(`market.${fixture.id}.ou25`);
    const userEvents = world.record("user.winner");
    const f = feed([fixture.id]);
    f.start();
    await until(
      () => marketEvents.some((e) => (e.data as { status: string }).status === "settled"),
      8000,
      "settlement",
    );
    await f.stop();

    // Over 2.5 is settled by the third goal, before that goal is published.
    const third = matchEvents.find((e) => {
      const d = e.data as MatchEventData;
      return d.kind === "goal" && d.score.home + d.score.away === 3;
    });
    assert.ok(third, "the seed gives this fixture three goals");
    const overSettled = overUnderEvents.find((e) => (e.data as { status: string }).status === "settled");
    assert.equal((overSettled?.data as { winner?: string } | undefined)?.winner, "over");
    assert.ok(overSettled!.seq < third.seq, "over/under settled before the third goal was published");
    assert.equal(overUnderEvents.filter((e) => e.seq > third.seq).length, 0, "and never touched again");

    const goalEvent = matchEvents.find((e) => (e.data as MatchEventData).kind === "goal")!;
    const before = marketEvents.filter((e) => e.seq < goalEvent.seq).at(-1);
    const afterGoal = marketEvents.filter((e) => e.seq > goalEvent.seq);
    type MarketData = { status: string; prices: Record<string, number>; winner?: string };
    const data = (e: LiveEvent | undefined) => e?.data as MarketData;
    assert.equal(data(afterGoal[0]).status, "suspended");
    const reopened = afterGoal.findIndex((e) => data(e).status === "open");
    assert.ok(reopened > 0, "reopened after the suspension");
    assert.equal(data(afterGoal[reopened - 1]).status, "suspended", "repriced while suspended");
    const side = goal.side;
    const priceBefore = before ? data(before).prices[side]! : atKickoff[side]!;
    const priceAfter = data(afterGoal[reopened]).prices[side]!;
    assert.ok(priceAfter > priceBefore, `${side} price ${priceBefore} → ${priceAfter}`);
    const opens = afterGoal.slice(reopened).filter((e) => data(e).status === "open");
    assert.ok(opens.length >= 2, "prices drift with time after the reopening");

    const settlement = userEvents.filter((e) => (e.data as { kind: string }).kind === "settlement");
    assert.equal(settlement.length, 1);
    assert.deepEqual(
      { ...(settlement[0]!.data as object), balance: undefined },
      { kind: "settlement", marketId: market, winner, payout: 10, balance: undefined },
    );
    const wallet = await world.exchange.getWallet({ userId: "winner" });
    assert.equal(wallet.balance, Math.round((1000 - bought.cost + 10) * 100) / 100);
    assert.equal(data(marketEvents.at(-1)).winner, winner);
    assert.deepEqual(await world.store.checkBooks(), {
      ledgerSumCents: 0,
      accountsOffLedger: 0,
      negativeBalances: 0,
      underfundedMarkets: [],
      positionsOffTrades: 0,
    });

    // A feed that comes later finds the match finished and settled: nothing is played again.
    const later = feed([fixture.id]);
    const quiet = world.record(`match.${fixture.id}`);
    later.start();
    await until(() => later.leading, 2000, "the later feed leading");
    // A silence: a feed that played the match again would publish within this.
    await pause(200);
    await later.stop();
    assert.equal(quiet.length, 0);
    assert.equal(userEvents.filter((e) => (e.data as { kind: string }).kind === "settlement").length, 1);
  });

  test("a replayed real match ends with its real half-time and full-time scores", async () => {
    const real = world.dataset.matches.find(
      (m) => m.status === "finished" && m.fullTime!.home + m.fullTime!.away >= 5 && m.halfTime!.away > 0,
    )!;
    const events = world.record(`match.${real.id}`);
    const f = feed([]);
    await assert.rejects(f.replay(real.id), /not the active one/);
    f.start();
    await until(() => f.leading, 2000, "leading");
    await f.replay(real.id);
    await f.stop();
    const data = matchData(events);
    assertWellFormed(data, real.home, real.away);
    assert.deepEqual(data.find((e) => e.kind === "halftime")?.score, real.halfTime);
    assert.deepEqual(data.at(-1)?.score, real.fullTime);
    for (const goal of data.filter((e) => e.kind === "goal")) {
      const firstHalf = data.indexOf(goal) < data.findIndex((e) => e.kind === "halftime");
      assert.equal(firstHalf, goal.minute <= 45);
    }
  });

  test("a second feed takes over a stopped one mid-match: same minute and score, nothing twice or skipped", async () => {
    const fixture = c!;
    const table = createMemoryLeaseTable(300);
    const events = world.record(`match.${fixture.id}`);
    const first = feed([fixture.id], table);
    const second = feed([fixture.id], table);
    first.start();
    await until(() => first.leading, 2000, "the first feed leading");
    second.start();
    await until(() => matchData(events).some((e) => e.minute >= 40), 5000, "minute 40");
    assert.equal(second.leading, false, "only one feed leads");
    await first.stop();
    const stoppedAt = matchData(events).at(-1)!;
    await until(() => matchData(events).at(-1)?.kind === "fulltime", 8000, "full time");
    await second.stop();
    assert.ok(stoppedAt.minute < 90, `stopped at ${stoppedAt.minute}'`);
    assertWellFormed(matchData(events), fixture.home, fixture.away);
  });
});
