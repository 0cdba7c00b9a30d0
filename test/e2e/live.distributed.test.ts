import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { scheduleRounds } from "../../services/market-feed/market-feed.js";
import type { LiveChannel, LiveEvent } from "../../shared/bus/live-stream.js";
import { createNatsLiveStream } from "../../shared/bus/nats-live-stream.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";
import { type OwnedServer, startNatsServer } from "../support/owned-servers.js";

/**
 * Issue 4 end to end, distributed: gateway, exchange and market-feed processes on a real NATS
 * server and PostgreSQL, every assertion on what a client sees over a real WebSocket (and on the
 * LIVE stream's own log, the reference for "no gap, no duplicate"). A match lasts 15 s and only
 * the first round of fixtures plays. The two deployments run side by side.
 */
const round = scheduleRounds(loadDataset())[0]!;
const feedEnv = {
  FEED_MATCH_DURATION_MS: "15000",
  // Longer than the suite: only the first round plays.
  FEED_ROUND_GAP_MS: "600000",
  FEED_GOAL_SUSPEND_MS: "300",
  FEED_LEASE_MS: "1500",
};
// Each deployment has its own database; processes start slowly when the machine is busy.
const deploymentOptions = { database: true, readyTimeoutMs: 40_000 };
const defaults = loadConfig({});
const leadingLine = /leading: match clock running/;

/** Whether a market-feed process leads now: its last word on the lease (main.ts) was to lead. */
function isLeading(feed: ServiceProcess): boolean {
  const said = feed.output().match(/leading: match clock running|standing by/g);
  return said?.at(-1) === "leading: match clock running";
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const wsUrl = (g: ServiceProcess) => `ws://127.0.0.1:${g.port}/ws`;
const httpUrl = (g: ServiceProcess, path: string) => `http://127.0.0.1:${g.port}${path}`;

async function tokenFor(g: ServiceProcess, userId: string): Promise<string> {
  const res = await fetch(httpUrl(g, "/api/auth/dev-token"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** Where a channel's events come from in the LIVE log. */
function sourceOf(channel: string, userId: string): LiveChannel {
  if (channel === "scores") return "match.*";
  if (channel === "user") return `user.${userId}`;
  return channel as LiveChannel;
}

/** The whole LIVE log of `channel`, read over a connection of its own. */
async function logOf(deployment: Deployment, channel: LiveChannel, epoch: string): Promise<LiveEvent[]> {
  const nc = await connect({ servers: deployment.env.NATS_URL! });
  try {
    const live = await createNatsLiveStream(nc, {
      streamPrefix: deployment.env.STREAM_PREFIX!,
      subjectPrefix: deployment.env.SUBJECT_PREFIX!,
      maxAgeMs: defaults.liveMaxAgeMs,
      maxMsgsPerTopic: defaults.liveMaxMsgsPerTopic,
    });
    const { recovered, events } = await live.history(channel, 0, epoch);
    assert.ok(recovered, `the log of ${channel} is whole in epoch ${epoch}`);
    await live.close();
    return events;
  } finally {
    await nc.close();
  }
}

/**
 * A live client that behaves as the protocol asks: when its socket closes it reconnects to the
 * next gateway and subscribes again with `since` the last event it saw of each channel (retrying
 * while the gateway answers `unavailable`). Every frame of every connection is kept, in order.
 */
class ResumingClient {
  readonly connections: TestClient[] = [];
  /** `recovered` of every re-subscription: false would mean a snapshot instead of the missed events. */
  readonly recoveries: boolean[] = [];
  #reconnecting: Promise<void> = Promise.resolve();
  #closing = false;
  #next = 0;

  private constructor(
    readonly userId: string,
    readonly channels: readonly string[],
    private readonly gateways: readonly ServiceProcess[],
    private readonly token: string,
  ) {}

  static async open(gateways: readonly ServiceProcess[], first: number, userId: string, channels: string[]) {
    const client = new ResumingClient(userId, channels, gateways, await tokenFor(gateways[first]!, userId));
    client.#next = first;
    await client.#connect();
    return client;
  }

  get current(): TestClient {
    return this.connections.at(-1)!;
  }

  /** Every `event` frame of `channel`, across connections, in the order received. */
  events(channel: string): Frame[] {
    return this.connections.flatMap((c) =>
      c.frames.filter((f) => f.type === "event" && f.channel === channel),
    );
  }

  /** Match events of `matchId` on `channel` (`scores` or `match.<id>`). */
  matchEvents(channel: string, matchId: string): Frame[] {
    return this.events(channel).filter((f) => f.data.matchId === matchId);
  }

  /** Whatever reconnection is in progress has finished. */
  settled(): Promise<void> {
    return this.#reconnecting;
  }

  close() {
    this.#closing = true;
    this.current.close();
  }

  async #connect() {
    const gateway = this.gateways[this.#next++ % this.gateways.length]!;
    const socket = await TestClient.connect(wsUrl(gateway), this.token);
    const since = this.#since();
    this.connections.push(socket);
    if (this.#closing) return socket.close();
    socket.socket.once("close", () => {
      if (this.#closing) return;
      this.#reconnecting = this.#connect();
      // Awaited by `settled()`; a failure there is the test's to report.
      this.#reconnecting.catch(() => {});
    });
    let n = 0;
    for (const channel of this.channels) {
      for (;;) {
        const id = `${channel}-${this.connections.length}-${n++}`;
        const position = since[channel];
        socket.send({
          type: "subscribe",
          id,
          channels: [channel],
          ...(position === undefined ? {} : { since: { [channel]: position } }),
        });
        const answer = await socket.take((f) => f.id === id, 15_000);
        if (answer.type === "subscribed") {
          if (position !== undefined) this.recoveries.push(answer.channels[0].recovered === true);
          break;
        }
        // The gateway cannot read the stream yet (NATS is restarting): retry as a client would.
        assert.equal(answer.code, "unavailable", JSON.stringify(answer));
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #since(): Record<string, { seq: number; epoch: string }> {
    const positions: Record<string, { seq: number; epoch: string }> = {};
    for (const channel of this.channels) {
      const last = this.events(channel).at(-1);
      if (last !== undefined) positions[channel] = { seq: last.seq, epoch: last.epoch };
    }
    return positions;
  }
}

/**
 * Every event `client` received on `channel` is, seq for seq, the log's events from the first one
 * it saw: strictly increasing, none twice, none missing. Polls while the client catches up.
 */
async function assertMatchesLog(deployment: Deployment, client: ResumingClient, channel: string) {
  const seen = () => client.events(channel);
  assert.ok(seen().length > 0, `${client.userId} saw events on ${channel}`);
  const epoch = seen()[0]!.epoch as string;
  const expected = async () => {
    const log = await logOf(deployment, sourceOf(channel, client.userId), epoch);
    return log.filter((e) => e.seq >= seen()[0]!.seq).map((e) => e.seq);
  };
  const seqs = () => seen().map((f) => f.seq as number);
  let wanted: number[] = [];
  // A client still catching up is polled; one that never does fails the comparison below.
  await until(
    async () => {
      wanted = await expected();
      return seqs().length >= wanted.length;
    },
    5000,
    `${client.userId} to catch up on ${channel}`,
  ).catch(() => {});
  assert.ok(
    seen().every((f) => f.epoch === epoch),
    `${channel}: one epoch throughout`,
  );
  assert.deepEqual(
    seqs(),
    wanted,
    `${client.userId} on ${channel}: exactly the log's events, once, in order`,
  );
}

function minutesOf(events: Frame[]): number[] {
  return events.filter((f) => f.data.kind === "minute").map((f) => f.data.minute as number);
}

const allMinutes = Array.from({ length: 90 }, (_, i) => i + 1);

/** The score never goes backwards and moves only on a goal, by one. */
function assertScoreContinuity(events: Frame[]) {
  let previous = { home: 0, away: 0 };
  for (const f of events) {
    const { home, away } = f.data.score as { home: number; away: number };
    const step = home - previous.home + (away - previous.away);
    assert.ok(home >= previous.home && away >= previous.away, `score went backwards at ${f.data.minute}'`);
    assert.equal(
      step,
      f.data.kind === "goal" ? 1 : 0,
      `${f.data.kind} ${f.data.minute}' changes the score by ${step}`,
    );
    previous = { home, away };
  }
}

describe("live channels across gateway, exchange and market-feed processes", { concurrency: true }, () => {
  describe("a NATS server restarted during a match", () => {
    let nats: OwnedServer;
    let deployment: Deployment;
    let gateways: ServiceProcess[];
    let clients: ResumingClient[] = [];

    before(async () => {
      nats = await startNatsServer();
      deployment = createDeployment({ NATS_URL: nats.url, ...feedEnv }, deploymentOptions);
      const [g0, g1] = await Promise.all([
        deployment.start("gateway"),
        deployment.start("gateway"),
        deployment.start("exchange"),
      ]);
      gateways = [g0, g1];
    });

    after(async () => {
      for (const client of clients) client.close();
      await deployment?.stop();
      await nats?.stop();
    });

    test("gateways and feeds reconnect, and resuming clients see no gap and no duplicate", async () => {
      const [m0, m1] = [round[0]!.id, round[1]!.id];
      clients = await Promise.all([
        ResumingClient.open(gateways, 0, "steady-0", ["scores", `match.${m0}`, `market.${m0}.1x2`]),
        ResumingClient.open(gateways, 1, "steady-1", ["scores", `match.${m1}`, `market.${m1}.1x2`]),
        ResumingClient.open(gateways, 0, "roamer", ["scores", `match.${m0}`, `market.${m1}.1x2`]),
      ]);
      const [steady, other, roamer] = clients as [ResumingClient, ResumingClient, ResumingClient];
      // The feeds start once everyone listens, so the clients see the matches from kick-off.
      await Promise.all([deployment.start("market-feed"), deployment.start("market-feed")]);

      await until(() => minutesOf(steady.events(`match.${m0}`)).at(-1)! >= 20, 20_000, "minute 20");
      await nats.kill("SIGTERM");
      const lastBefore = minutesOf(steady.events(`match.${m0}`)).at(-1)!;
      // A client dropped during the outage reconnects to the other gateway and resumes there.
      roamer.current.socket.terminate();
      // The outage itself: a fault's duration, not a wait for something to happen.
      await new Promise((r) => setTimeout(r, 1500));
      await nats.restart();

      for (const [client, matchId] of [
        [steady, m0],
        [other, m1],
        [roamer, m0],
      ] as const) {
        await until(
          () => client.matchEvents(`match.${matchId}`, matchId).some((f) => f.data.kind === "fulltime"),
          40_000,
          `${client.userId}: full time of ${matchId}`,
        );
      }
      await Promise.all(clients.map((c) => c.settled()));
      assert.ok(lastBefore < 90, `the server went down mid-match (${lastBefore}')`);
      assert.ok(roamer.connections.length >= 2, "the dropped client reconnected");
      for (const client of clients) {
        assert.ok(
          client.recoveries.every((r) => r),
          `${client.userId} resumed from history every time`,
        );
        for (const channel of client.channels) await assertMatchesLog(deployment, client, channel);
      }
      for (const [client, matchId] of [
        [steady, m0],
        [other, m1],
        [roamer, m0],
      ] as const) {
        const events = client.matchEvents(`match.${matchId}`, matchId);
        assert.deepEqual(minutesOf(events), allMinutes, `${client.userId}: every minute of ${matchId} once`);
        assert.equal(events.filter((f) => f.data.kind === "fulltime").length, 1);
        assertScoreContinuity(events);
      }
    });
  });

  describe("market feeds and settlement on the shared NATS server", { concurrency: true }, () => {
    let deployment: Deployment;
    let gateway: ServiceProcess;
    let feeds: ServiceProcess[];
    let watcher: ResumingClient;
    let punter: ResumingClient;
    const watched = round[2]!.id;
    const traded = round[3]!.id;

    before(async () => {
      deployment = createDeployment(feedEnv, deploymentOptions);
      [gateway] = await Promise.all([deployment.start("gateway"), deployment.start("exchange")]);
      watcher = await ResumingClient.open([gateway!], 0, "watcher", ["scores", `match.${watched}`]);
      punter = await ResumingClient.open([gateway!], 0, "punter", [
        "user",
        `match.${traded}`,
        `market.${traded}.1x2`,
      ]);
      feeds = await Promise.all([deployment.start("market-feed"), deployment.start("market-feed")]);
    });

    after(async () => {
      watcher?.close();
      punter?.close();
      await deployment?.stop();
    });

    test("the active feed killed mid-match: another continues the match from where it was", async () => {
      await until(() => minutesOf(watcher.events(`match.${watched}`)).at(-1)! >= 15, 15_000, "minute 15");
      // On a busy machine a stalled leader may have handed over already: kill whoever leads now.
      await until(() => feeds.filter(isLeading).length === 1, 5000, "one leading feed");
      const leader = feeds.find(isLeading)!;
      const standby = feeds.find((f) => f !== leader)!;
      const standbyLogAt = standby.output().length;
      leader.kill("SIGKILL");
      await leader.exited;
      const lastBefore = minutesOf(watcher.events(`match.${watched}`)).at(-1)!;

      await until(
        () => leadingLine.test(standby.output().slice(standbyLogAt)),
        10_000,
        "the standby leading",
      );
      await until(
        () => watcher.matchEvents(`match.${watched}`, watched).some((f) => f.data.kind === "fulltime"),
        40_000,
        "full time",
      );
      assert.ok(lastBefore < 90, `the leader died mid-match (${lastBefore}')`);
      for (const channel of [`match.${watched}`, "scores"]) {
        const events = watcher.matchEvents(channel, watched);
        assert.deepEqual(minutesOf(events), allMinutes, `${channel}: no minute repeated, none skipped`);
        assertScoreContinuity(events);
        assert.equal(
          events.filter((f) => f.data.kind === "fulltime").length,
          1,
          `${channel}: full time once`,
        );
        const seqs = events.map((f) => f.seq as number);
        assert.ok(
          seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
          `${channel}: seq strictly increases`,
        );
      }
    });

    test("settlement at full time pays winners exactly once and their user channel says so", async () => {
      const marketId = `${traded}.1x2`;
      const socket = punter.current;
      const costs: number[] = [];
      // Every outcome, so whatever the result this user holds the winner.
      for (const outcome of ["home", "draw", "away"]) {
        let filled: Frame | undefined;
        for (let attempt = 0; filled === undefined; attempt++) {
          const id = `buy-${outcome}-${attempt}`;
          socket.send({ type: "trade", id, marketId, outcome, side: "buy", shares: 10 });
          const answer = await socket.take((f) => f.id === id, 10_000);
          if (answer.type === "trade.filled") filled = answer;
          else {
            // Suspended for a goal at this very moment: it reopens within FEED_GOAL_SUSPEND_MS.
            assert.equal(answer.code, "market_closed", JSON.stringify(answer));
            assert.ok(attempt < 20, "the market reopened");
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        costs.push(filled.trade.cost);
      }

      const settlement = await socket.take(
        (f) => f.type === "event" && f.channel === "user" && f.data.kind === "settlement",
        40_000,
      );
      // The match and user channels travel apart: full time may reach the socket just after.
      const fulltimeOf = () => punter.events(`match.${traded}`).find((f) => f.data.kind === "fulltime");
      await until(() => fulltimeOf() !== undefined, 5000, "full time");
      const { home, away } = fulltimeOf()!.data.score as { home: number; away: number };
      assert.equal(settlement.data.marketId, marketId);
      assert.equal(settlement.data.winner, home > away ? "home" : home < away ? "away" : "draw");
      assert.equal(settlement.data.payout, 10, "a winning share pays 1 credit");
      const cents = (n: number) => Math.round(n * 100);
      assert.equal(
        cents(settlement.data.balance),
        cents(defaults.startingBalance) - costs.reduce((sum, c) => sum + cents(c), 0) + cents(10),
      );
      await until(
        () => punter.events(`market.${marketId}`).some((f) => f.data.status === "settled"),
        10_000,
        "the market channel shows it settled",
      );

      const received = punter.events("user").filter((f) => f.data.kind === "settlement");
      assert.equal(received.length, 1, "one settlement event");
      const log = await logOf(deployment, "user.punter", settlement.epoch);
      const stored = log.filter((e) => (e.data as { kind?: string }).kind === "settlement");
      assert.equal(stored.length, 1, "one settlement in the log");
      await assertMatchesLog(deployment, punter, "user");

      const token = await tokenFor(gateway, "punter");
      const wallet = (await (
        await fetch(httpUrl(gateway, "/api/wallet"), { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { balance: number };
      assert.equal(wallet.balance, settlement.data.balance, "GET /api/wallet agrees");
    });
  });
});
