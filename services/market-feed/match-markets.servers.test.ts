import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createLivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import type { LiveEvent, LiveStream } from "../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createMemoryCache } from "../../shared/cache/memory-cache.js";
import type { Score } from "../../shared/epl/dataset.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { AppError } from "../../shared/errors.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { pause, until } from "../../test/support/polling.js";
import type { Exchange } from "../exchange/client.js";
import { createExchange } from "../exchange/exchange.js";
import { exchangeEventSink } from "../exchange/live-events.js";
import { createPostgresStore } from "../exchange/store/postgres-store.js";
import type { Store } from "../exchange/store/store.js";
import { balancedBooks, exchangeTestConfig } from "../exchange/testing/fixtures.js";
import { createMatchMarkets, type MatchMarkets } from "./match-markets.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * A match's markets driven goal by goal against an exchange on PostgreSQL that publishes to a
 * LIVE stream on NATS JetStream, as in the distributed deployment.
 */
describe("match markets: decided markets settle at the goal that decides them", () => {
  const matchId = loadDataset().matches.find((m) => m.status === "scheduled")!.id;
  const ou25 = `${matchId}.ou25`;
  const btts = `${matchId}.btts`;
  const result = `${matchId}.1x2`;
  const suffix = randomBytes(4).toString("hex");
  const liveOptions = {
    streamPrefix: `T${suffix}_`,
    subjectPrefix: `t${suffix}.`,
    maxAgeMs: 600_000,
    maxMsgsPerTopic: 1000,
  };
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let store: Store;
  let nc: NatsConnection;
  let live: LiveStream;
  let exchange: Exchange;
  const received: LiveEvent[] = [];
  const errors: string[] = [];
  const match = { minute: 0, score: { home: 0, away: 0 } as Score };
  let markets: MatchMarkets;

  before(async () => {
    db = await createTempDatabase();
    store = createPostgresStore(db.url, { maxConnections: 4 });
    await store.migrate();
    nc = await connectNats({ natsUrl }, "match-markets-test");
    live = await createNatsLiveStream(nc, liveOptions);
    live.subscribe("market.*", (e) => received.push(e));
    live.subscribe("user.*", (e) => received.push(e));
    exchange = createExchange({
      store,
      config: exchangeTestConfig,
      publish: exchangeEventSink({
        publisher: createLivePublisher(live),
        cache: createMemoryCache(),
        onError: (err) => errors.push(String(err)),
      }),
    });
    await exchange.openMarkets({ matchIds: [matchId] });
    markets = createMatchMarkets({
      exchange,
      matchId,
      rates: { home: 1.5, away: 1.1, rho: 0 },
      suspendMs: 30,
      state: () => match,
      onError: (err, action) => errors.push(`${action}: ${String(err)}`),
    });
  });
  after(async () => {
    markets?.stop();
    await live?.close();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`${liveOptions.streamPrefix}LIVE`);
    await nc?.close();
    await store?.close();
    await db?.drop();
  });

  const status = async (marketId: string) => (await exchange.getMarket({ marketId })).status;
  const rejectsClosed = (work: Promise<unknown>) =>
    assert.rejects(work, (err: unknown) => err instanceof AppError && err.code === "market_closed");
  const goal = (side: "home" | "away", minute: number) => {
    match.minute = minute;
    match.score = { ...match.score, [side]: match.score[side] + 1 };
    return markets.goal();
  };
  const seen = (topic: string, kind?: string) =>
    received.filter(
      (e) => e.topic === topic && (kind === undefined || (e.data as { kind?: string }).kind === kind),
    );

  /** How many times LIVE saw the market reopen after a suspension (kick-off's opening aside). */
  const opened = (marketId: string) => {
    const statuses = seen(`market.${marketId}`).map((e) => (e.data as { status: string }).status);
    return statuses.filter((st, i) => st === "open" && statuses[i - 1] === "suspended").length;
  };

  test("over 2.5 is open after two goals, settled on the third before it is announced, and never traded again", async () => {
    markets.kickoff();
    const bought = await exchange.trade({
      userId: "ann",
      marketId: ou25,
      outcome: "over",
      side: "buy",
      shares: 40,
    });
    await exchange.trade({ userId: "bob", marketId: ou25, outcome: "under", side: "buy", shares: 25 });

    await goal("home", 10);
    await until(() => opened(ou25) >= 1, 2000, "over/under reopened after the first goal");
    await goal("home", 20);
    await until(() => opened(ou25) >= 2, 2000, "over/under reopened after the second goal");
    assert.equal(await status(ou25), "open", "two goals decide nothing");
    const priceAfterTwo = (await exchange.getMarket({ marketId: ou25 })).prices.over!;
    assert.ok(priceAfterTwo > 0.5 && priceAfterTwo < 0.999, `over at ${priceAfterTwo} after two goals`);

    // The third goal: goal() resolves only once the market is settled, before the feed publishes it.
    await goal("away", 30);
    assert.equal(await status(ou25), "settled");
    assert.equal((await exchange.getMarket({ marketId: ou25 })).winner, "over");
    assert.equal(
      (await exchange.getWallet({ userId: "ann" })).balance,
      Math.round((1000 - bought.cost + 40) * 100) / 100,
    );
    await rejectsClosed(exchange.quote({ marketId: ou25, outcome: "over", side: "buy", shares: 1 }));
    await rejectsClosed(
      exchange.trade({ userId: "carl", marketId: ou25, outcome: "over", side: "buy", shares: 1 }),
    );
    await rejectsClosed(
      exchange.trade({ userId: "bob", marketId: ou25, outcome: "under", side: "sell", shares: 25 }),
    );

    // Both scored: both-teams-to-score was settled "yes" by the same goal.
    assert.equal((await exchange.getMarket({ marketId: btts })).winner, "yes");
    await until(
      () => seen(`market.${ou25}`).some((e) => (e.data as { status: string }).status === "settled"),
      2000,
      "the settlement on LIVE",
    );
    const settledEvent = seen(`market.${ou25}`).at(-1)!.data as { status: string; winner?: string };
    assert.deepEqual([settledEvent.status, settledEvent.winner], ["settled", "over"]);
    await until(() => seen("user.ann", "settlement").length === 1, 2000, "ann's settlement on LIVE");
    assert.deepEqual(
      [
        (seen("user.ann", "settlement")[0]!.data as { payout: number }).payout,
        seen("user.bob", "settlement").length,
      ],
      [40, 1],
    );

    // The match result stays in play: suspended by the goal, then reopened.
    await until(() => opened(result) >= 3, 2000, "the match result reopened after the third goal");
    assert.equal(await status(result), "open");
  });

  test("a goal seen again, a feed taking over and full time pay no decided market twice", async () => {
    // A feed taking over from one that settled on a goal it died before publishing: it finds the
    // match at the score before that goal, and reopens only what is still in play.
    await exchange.setMarketStatus({ marketId: result, status: "suspended" });
    const reopenedBefore = opened(result);
    const takerErrors: string[] = [];
    const taker = createMatchMarkets({
      exchange,
      matchId,
      rates: { home: 1.5, away: 1.1, rho: 0 },
      suspendMs: 30,
      state: () => ({ minute: 29, score: { home: 2, away: 0 } }),
      onError: (err, action) => takerErrors.push(`${action}: ${String(err)}`),
    });
    taker.resume();
    await until(() => opened(result) > reopenedBefore, 2000, "the match result reopened by the new feed");
    taker.stop();
    assert.deepEqual(takerErrors, []);
    assert.deepEqual([await status(ou25), await status(btts)], ["settled", "settled"]);

    const balance = (await exchange.getWallet({ userId: "ann" })).balance;
    const settlementsBefore = seen("user.ann", "settlement").length + seen("user.bob", "settlement").length;
    await markets.goal();
    markets.resume();
    assert.equal((await exchange.settle({ marketId: ou25, winner: "over" })).alreadySettled, true);

    await markets.finish(match.score);
    assert.equal(await status(result), "settled");
    assert.equal((await exchange.getMarket({ marketId: result })).winner, "home");
    assert.equal((await exchange.getWallet({ userId: "ann" })).balance, balance);
    // A silence: a second settlement would reach LIVE within this.
    await pause(100);
    assert.equal(
      seen("user.ann", "settlement").length + seen("user.bob", "settlement").length,
      settlementsBefore,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(await store.checkBooks(), balancedBooks);
  });
});
