import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { scheduleRounds } from "../../services/market-feed/market-feed.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { createLogger } from "../../shared/logger.js";

/**
 * Issue 4 end to end in embedded mode: the match clock plays the first round of the remaining
 * 2025-26 fixtures in a few seconds; a user who bought into a match sees its events on `scores`,
 * its prices move on `market.<id>`, and exactly one settlement on their `user` channel.
 */
let platform: Platform;
let base: string;
const firstRound = scheduleRounds(loadDataset())[0]!;
const match = firstRound[0]!;

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
    client.send({ type: "trade", id: `t-${outcome}`, marketId, outcome, side: "buy", shares: 10 });
    const answer = await client.take((f) => f.id === `t-${outcome}`, 10_000);
    if (answer.type === "trade.rejected") {
      // The market may be suspended for a goal at this very moment; wait and retry once.
      assert.equal(answer.code, "market_closed");
      await new Promise((r) => setTimeout(r, 300));
      client.send({ type: "trade", id: `t2-${outcome}`, marketId, outcome, side: "buy", shares: 10 });
      assert.equal((await client.take((f) => f.id === `t2-${outcome}`, 10_000)).type, "trade.filled");
    } else {
      assert.equal(answer.type, "trade.filled");
    }
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
  await new Promise((r) => setTimeout(r, 500));
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
