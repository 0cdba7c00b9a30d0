import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { defaultFeedSeed, scheduleRounds } from "../../services/market-feed/market-feed.js";
import { simulatedScript } from "../../services/market-feed/match-script.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { createLogger } from "../../shared/logger.js";
import { pause, until } from "../support/polling.js";

/**
 * Issues 4 and 14 end to end in embedded mode: the match clock plays the first round of the
 * remaining 2025-26 fixtures in a few seconds; a user who bought into a match sees its events on
 * `scores`, its prices move on `market.<id>`, and exactly one settlement on their `user` channel;
 * over 2.5 is settled by the third goal, before full time, and cannot be quoted or bought once
 * that goal is known. The round plays once for both tests, so they run side by side.
 */
/** How long a check that nothing more arrives listens: a second settlement would come well within it. */
const silenceMs = 500;
let platform: Platform;
let base: string;
const firstRound = scheduleRounds(loadDataset())[0]!;
const match = firstRound[0]!;
const model = fitModel(loadDataset());
// The round's first fixture whose seeded script scores three goals with time left after them.
const threeGoals = firstRound.find((m) => {
  const goals = simulatedScript(m.id, model.rates(m.home, m.away), defaultFeedSeed).filter(
    (h) => h.kind === "goal",
  );
  return goals.length >= 3 && goals[0]!.minute >= 10 && goals[2]!.minute <= 80;
})!;
const ou25 = `${threeGoals.id}.ou25`;

before(async () => {
  const config = loadConfig(
    {},
    {
      dataDir: "memory",
      port: 0,
      logLevel: "silent",
      feedMatchDurationMs: 4000,
      feedRoundGapMs: 60_000,
      feedGoalSuspendMs: 100,
    },
  );
  platform = await buildPlatform(config, createLogger(config));
  base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await platform?.close();
});

async function connect(userId: string): Promise<{ client: TestClient; token: string }> {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  const { token } = (await res.json()) as { token: string };
  return { client: await TestClient.connect(`${base.replace("http", "ws")}/ws`, token), token };
}

describe("a round played live", { concurrency: true }, () => {
  test("a match plays live, its market reprices, and its winners are paid exactly once on their user channel", async () => {
    const { client, token } = await connect("punter");
    const marketId = `${match.id}.1x2`;
    client.send({ type: "subscribe", id: "s1", channels: ["scores", `market.${marketId}`, "user"] });
    const subscribed = await client.take((f) => f.type === "subscribed" && f.id === "s1");
    assert.deepEqual(
      subscribed.channels.map((c: Frame) => c.channel),
      ["scores", `market.${marketId}`, "user"],
    );

    // Buy every outcome, so whatever the result this user holds the winner.
    for (const outcome of ["home", "draw", "away"]) {
      await buyWhenOpen(client, { marketId, outcome, shares: 10 });
    }

    const fulltime = await client.take(
      (f) =>
        f.type === "event" &&
        f.channel === "scores" &&
        f.data.matchId === match.id &&
        f.data.kind === "fulltime",
      20_000,
    );
    const settlement = await client.take(
      (f) =>
        f.type === "event" &&
        f.channel === "user" &&
        f.data.kind === "settlement" &&
        f.data.marketId === marketId,
      20_000,
    );
    const { home, away } = fulltime.data.score as { home: number; away: number };
    const expectedWinner = home > away ? "home" : home < away ? "away" : "draw";
    assert.equal(settlement.data.winner, expectedWinner);
    assert.equal(settlement.data.payout, 10);

    const matchEvents = client.frames.filter(
      (f) => f.type === "event" && f.channel === "scores" && f.data.matchId === match.id,
    );
    const seqs = matchEvents.map((f) => f.seq as number);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      "scores events arrive in seq order",
    );
    const goals = matchEvents.filter((f) => f.data.kind === "goal").length;
    assert.equal(goals, home + away, "every goal of the final score was an event");
    assert.ok(
      client.frames.some(
        (f) => f.type === "event" && f.channel === `market.${marketId}` && f.data.status === "settled",
      ),
      "the market channel shows the settlement",
    );

    // Settled once: no second settlement event for this market arrives.
    await pause(silenceMs);
    const settlements = client.frames.filter(
      (f) =>
        f.type === "event" &&
        f.channel === "user" &&
        f.data.kind === "settlement" &&
        f.data.marketId === marketId,
    );
    assert.equal(settlements.length, 1);
    const wallet = (await (
      await fetch(`${base}/api/wallet`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      balance: number;
    };
    assert.equal(wallet.balance, settlement.data.balance, "the wallet agrees with the settlement event");
    client.close();
  });

  test("over 2.5 closes and pays at the third goal: no quote or trade after it, one settlement", async () => {
    const { client, token } = await connect("over-punter");
    client.send({
      type: "subscribe",
      id: "s1",
      channels: [`match.${threeGoals.id}`, `market.${ou25}`, "user"],
    });
    await client.take((f) => f.type === "subscribed" && f.id === "s1");

    // Bought before the third goal.
    await buyWhenOpen(client, { marketId: ou25, outcome: "over", shares: 40 });

    const third = await client.take(
      (f) => f.type === "event" && f.data.kind === "goal" && f.data.score.home + f.data.score.away === 3,
      20_000,
    );
    assert.ok(third.data.minute < 90);
    client.send({ type: "quote", id: "q-after", marketId: ou25, outcome: "over", side: "buy", shares: 1 });
    assert.deepEqual(
      [
        (await client.take((f) => f.id === "q-after")).type,
        client.frames.find((f) => f.id === "q-after")?.code,
      ],
      ["error", "market_closed"],
    );
    const late = await fetch(`${base}/api/trades`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ marketId: ou25, outcome: "over", side: "buy", shares: 1 }),
    });
    assert.deepEqual(
      [late.status, ((await late.json()) as { error: { code: string } }).error.code],
      [409, "market_closed"],
    );

    const paid = await client.take(
      (f) => f.type === "event" && f.data.kind === "settlement" && f.data.marketId === ou25,
    );
    assert.deepEqual([paid.data.winner, paid.data.payout], ["over", 40]);
    const market = (await (await fetch(`${base}/api/markets/${ou25}`)).json()) as {
      status: string;
      winner?: string;
    };
    assert.deepEqual([market.status, market.winner], ["settled", "over"]);
    const fulltime = await client.take((f) => f.type === "event" && f.data.kind === "fulltime", 20_000);
    const atFullTime = client.frames.indexOf(fulltime);
    assert.ok(client.frames.indexOf(paid) < atFullTime, "paid before full time");

    // Full time settles the other markets; over 2.5 is not paid again.
    await pause(silenceMs);
    const settlements = client.frames.filter(
      (f) => f.type === "event" && f.data.kind === "settlement" && f.data.marketId === ou25,
    );
    assert.equal(settlements.length, 1);
    client.close();
  });
});

/** Buys until filled: a goal may have the market suspended (`market_closed`) at that moment. */
async function buyWhenOpen(
  client: TestClient,
  order: { marketId: string; outcome: string; shares: number },
): Promise<void> {
  let attempt = 0;
  await until(
    async () => {
      const id = `buy-${order.marketId}-${order.outcome}-${attempt++}`;
      client.send({ type: "trade", id, side: "buy", ...order });
      const answer = await client.take((f) => f.id === id, 10_000);
      if (answer.type !== "trade.filled") assert.equal(answer.code, "market_closed", JSON.stringify(answer));
      return answer.type === "trade.filled";
    },
    10_000,
    `a fill of ${order.outcome} in ${order.marketId}`,
  );
}
