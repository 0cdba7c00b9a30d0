import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signToken } from "../../services/gateway/testing/gateway-harness.js";
import { scheduleRounds } from "../../services/market-feed/market-feed.js";
import {
  type AgentRun,
  type AgentStreamFrame,
  type ChannelMessage,
  type ConnectionState,
  connect,
  type PlatformClient,
} from "../../shared/client/mod.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";
import { type FaultySockets, faultySockets } from "../support/faulty-web-socket.js";
import { logOf } from "../support/live-log.js";
import { until } from "../support/polling.js";

/**
 * Issue 18: the client library (shared/client) against a real distributed deployment — gateway,
 * exchange, market-feed and agent-worker processes on the real NATS server and PostgreSQL. Each
 * fault hits a client that follows the `scores` channel and streams an agent run at once; what
 * its iterators yield is checked against the LIVE stream's own log (every event exactly once, in
 * order) and against the run's `seq` (1, 2, 3… with no gap and no duplicate).
 */
const rounds = scheduleRounds(loadDataset());
let deployment: Deployment;
let gateways: ServiceProcess[];
const clients: PlatformClient[] = [];

const wsUrl = (g: ServiceProcess) => `ws://127.0.0.1:${g.port}/ws`;
const httpUrl = (g: ServiceProcess, path: string) => `http://127.0.0.1:${g.port}${path}`;

/** A token the gateways accept, signed here with the deployment's secret; `ttlS` short to expire mid-run. */
function tokenFor(userId: string, ttlS = 3600): string {
  const iat = Math.floor(Date.now() / 1000);
  return signToken({ sub: userId, tier: "pro", iat, exp: iat + ttlS }, deployment.env.JWT_SECRET);
}

interface Watched {
  client: PlatformClient;
  sockets: FaultySockets;
  states: ConnectionState[];
  messages: ChannelMessage[];
  frames: AgentStreamFrame[];
  /** Settles when the run's iterator ends (rejects with what it threw). */
  runEnded: Promise<void>;
}

/** A client on `urls` (first socket to the first) following `scores` and streaming a scout run. */
function watch(
  userId: string,
  urls: string[],
  tokens: { getToken: () => string } = { getToken: () => tokenFor(userId) },
): Watched {
  const sockets = faultySockets();
  // Reconnects wait 0.5–1 s, so events are published while the client is away: resume must fetch them.
  const client = connect({
    url: urls,
    ...tokens,
    WebSocket: sockets.WebSocket,
    backoff: { baseMs: 1_000, drainMaxMs: 1_000 },
  });
  clients.push(client);
  const states: ConnectionState[] = [];
  client.onState((state) => states.push(state));
  const messages: ChannelMessage[] = [];
  void (async () => {
    for await (const message of client.subscribe("scores")) messages.push(message);
  })();
  const frames: AgentStreamFrame[] = [];
  const run: AgentRun = client.run({ intent: "scout" }, "Scout Liverpool v Arsenal");
  const runEnded = (async () => {
    for await (const frame of run) frames.push(frame);
  })();
  return { client, sockets, states, messages, frames, runEnded };
}

const deltas = (w: Watched) => w.frames.filter((f) => f.type === "agent.delta").length;
const events = (w: Watched) => w.messages.filter((m) => m.type === "event").length;
const gatewayOf = (state: ConnectionState | undefined) =>
  state?.state === "online" ? state.gatewayId : undefined;
const onlineStates = (w: Watched) => w.states.filter((s) => s.state === "online");

/** Waits until the run is streaming and events are flowing: the moment to strike. */
async function midStream(w: Watched) {
  await until(() => deltas(w) >= 2 && events(w) >= 3, 20_000, "the run streaming and scores flowing");
  assert.ok(!w.frames.some((f) => f.type === "agent.done"), "the run is still going when the fault hits");
}

/** After the fault: the run finished and more events came, and both are exactly once, in order. */
async function assertExactlyOnce(w: Watched) {
  const eventsAtFault = events(w);
  await w.runEnded;
  assert.deepEqual(
    w.frames.map((f) => f.seq),
    w.frames.map((_, i) => i + 1),
    "run frames run 1, 2, 3… with no gap and no duplicate",
  );
  assert.equal(w.frames.at(-1)!.type, "agent.done");
  assert.match(w.frames.map((f) => (f.type === "agent.delta" ? f.text : "")).join(""), /Liverpool|Arsenal/);
  await until(() => events(w) >= eventsAtFault + 5, 20_000, "scores events after the fault");
  const [first] = w.messages;
  assert.ok(first !== undefined);
  assert.ok(
    w.messages.every((m) => m.epoch === first.epoch),
    "one epoch: no history was lost",
  );
  assert.ok(
    w.messages.slice(1).every((m) => m.type === "event"),
    "one snapshot, first, then events",
  );
  const received = w.messages.filter((m) => m.type === "event").map((m) => m.seq);
  const from = first.type === "snapshot" ? first.seq + 1 : first.seq;
  const last = received.at(-1)!;
  const log = (await logOf(deployment.env, "match.*", first.epoch)).map((e) => e.seq);
  assert.deepEqual(
    received,
    log.filter((seq) => seq >= from && seq <= last),
    "every scores event of the log, exactly once, in order",
  );
}

before(async () => {
  deployment = createDeployment(
    {
      // Runs stream slowly enough to interrupt; a match lasts 2 minutes, so scores flow throughout.
      OFFLINE_TOKEN_DELAY_MS: "30",
      COALESCE_MS: "5",
      FEED_MATCH_DURATION_MS: "120000",
      FEED_ROUND_GAP_MS: "600000",
    },
    { database: true, readyTimeoutMs: 40_000 },
  );
  gateways = await Promise.all([
    deployment.start("gateway"),
    deployment.start("gateway"),
    deployment.start("exchange"),
    deployment.start("agent-worker"),
  ]).then((started) => started.slice(0, 2));
  await deployment.start("market-feed");
});

after(async () => {
  for (const client of clients) client.close();
  await deployment?.stop();
});

describe("the client library across faults", { concurrency: false }, () => {
  test("a socket dropped mid-stream: the subscription and the run resume with every event and delta exactly once", async () => {
    const w = watch("lib-drop", [wsUrl(gateways[0]!), wsUrl(gateways[1]!)]);
    await midStream(w);
    w.sockets.dropLatest();
    await assertExactlyOnce(w);
    assert.equal(w.sockets.opened.length, 2, "one reconnect");
    assert.ok(w.states.some((s) => s.state === "reconnecting"));
  });

  test("a subscribe cut off before its answer is asked again on the next socket: every event exactly once", async () => {
    const w = watch("lib-unanswered", [wsUrl(gateways[0]!), wsUrl(gateways[1]!)]);
    const isSubscribed = (text: string) => (JSON.parse(text) as { type: string }).type === "subscribed";
    // The first `subscribe` (no position yet) and, mid-stream, a resuming one (with `since`):
    // each socket drops after the gateway took the subscription and before the client heard so.
    w.sockets.loseNext(isSubscribed);
    await midStream(w);
    assert.equal(w.sockets.lost, 1, "the first subscribe's answer was lost");
    w.sockets.loseNext(isSubscribed);
    w.sockets.dropLatest();
    await assertExactlyOnce(w);
    assert.equal(w.sockets.lost, 2, "the resuming subscribe's answer was lost too");
    assert.equal(w.sockets.opened.length, 4, "a socket for each loss and for the drop");
  });

  test("a gateway drained (1012): the client backs off, moves to the other gateway and resumes", async () => {
    const w = watch("lib-drain", [wsUrl(gateways[0]!), wsUrl(gateways[1]!)]);
    await midStream(w);
    const leaving = gateways[0]!;
    const before = gatewayOf(onlineStates(w).at(-1));
    leaving.kill("SIGTERM");
    try {
      await assertExactlyOnce(w);
      assert.ok(w.states.some((s) => s.state === "reconnecting" && s.closeCode === 1012));
      assert.notEqual(gatewayOf(onlineStates(w).at(-1)), before, "now on the other gateway");
    } finally {
      await leaving.exited;
      gateways[0] = await deployment.start("gateway");
    }
  });

  test("a gateway killed: the client moves to the other one and resumes", async () => {
    const w = watch("lib-kill", [wsUrl(gateways[0]!), wsUrl(gateways[1]!)]);
    await midStream(w);
    const before = gatewayOf(onlineStates(w).at(-1));
    gateways[0]!.kill("SIGKILL");
    try {
      await assertExactlyOnce(w);
      assert.notEqual(gatewayOf(onlineStates(w).at(-1)), before, "now on the other gateway");
    } finally {
      await gateways[0]!.exited;
      gateways[0] = await deployment.start("gateway");
    }
  });

  test("a token expiring mid-run is renewed on the open socket: the run and the subscription go on", async () => {
    let issued = 0;
    const w = watch("lib-token", [wsUrl(gateways[1]!)], {
      getToken: () => {
        issued += 1;
        return tokenFor("lib-token", 2);
      },
    });
    await midStream(w);
    await assertExactlyOnce(w);
    assert.ok(issued >= 2, `the token was renewed (${issued} issued)`);
    assert.ok(
      w.states.every((s) => s.state !== "reconnecting"),
      "never closed 4001: renewed in time",
    );
  });

  test("a trade whose answer is lost with its socket is sent again and fills once", async () => {
    const g = gateways[1]!;
    const fixture = rounds[1]![0]!;
    const listing = (await (
      await fetch(httpUrl(g, `/api/markets?matchId=${fixture.id}&status=open`))
    ).json()) as { markets: { marketId: string; prices: Record<string, number> }[] };
    const market = listing.markets[0]!;
    const outcome = Object.keys(market.prices)[0]!;
    const sockets = faultySockets();
    const client = connect({ url: wsUrl(g), token: tokenFor("lib-trader"), WebSocket: sockets.WebSocket });
    clients.push(client);
    await client.ready();
    sockets.loseNext((text) => text.includes('"trade.filled"'));
    const fill = await client.trade({ marketId: market.marketId, outcome, side: "buy", shares: 5 });
    assert.equal(sockets.lost, 1, "the first answer was lost");
    assert.equal(sockets.opened.length, 2, "the trade was answered on a second socket");
    const history = (await (
      await fetch(httpUrl(g, "/api/trades"), {
        headers: { authorization: `Bearer ${tokenFor("lib-trader")}` },
      })
    ).json()) as { trades: { tradeId: string }[] };
    assert.deepEqual(
      history.trades.map((t) => t.tradeId),
      [fill.tradeId],
      "one trade, the one the client was told of",
    );
  });
});
