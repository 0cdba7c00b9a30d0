import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LiveStream, LiveTopic } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { sampleValue } from "../../../shared/metrics/prometheus-text.js";
import { until, untilFound } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

const fixtures = loadDataset().matches.filter((m) => m.season === "2025-26" && m.status === "scheduled");
const matchIds = fixtures.slice(0, 10).map((m) => m.id);
const [first, second] = matchIds as [string, string];

function goal(matchId: string, minute: number, home: number, away = 0) {
  return { matchId, kind: "goal", minute, score: { home, away } };
}

function metric(text: string, name: string): number {
  return sampleValue(text, name) ?? 0;
}

describe("live channels over WebSocket (memory LIVE stream)", () => {
  let live: LiveStream;
  let gw: Harness;
  let other: Harness;
  const clients: TestClient[] = [];
  const connect = async (user = "alice", harness = gw) => {
    const client = await TestClient.connect(harness.wsUrl, tokenFor(user));
    clients.push(client);
    return client;
  };

  before(async () => {
    live = createMemoryLiveStream();
    gw = await startGateway({}, { live });
    other = await startGateway({ gatewayId: "gw-other" }, { live });
  });
  after(async () => {
    for (const client of clients) client.close();
    await gw.close();
    await other.close();
    await live.close();
  });

  test("subscribe answers subscribed, then a snapshot of the match; later events follow in order", async () => {
    const before = await live.publish(`match.${first}`, {
      matchId: first,
      kind: "kickoff",
      minute: 0,
      score: { home: 0, away: 0 },
    });
    const client = await connect();
    client.send({ type: "subscribe", id: "s1", channels: [`match.${first}`, "scores"] });
    const subscribed = await client.take((f) => f.type === "subscribed");
    assert.equal(subscribed.id, "s1");
    const states = Object.fromEntries(subscribed.channels.map((c: Frame) => [c.channel, c]));
    assert.equal(states[`match.${first}`].seq, before.seq);
    assert.equal(states[`match.${first}`].epoch, before.epoch);
    assert.equal(states[`match.${first}`].recovered, undefined);
    const snapshot = await client.take((f) => f.type === "snapshot" && f.channel === `match.${first}`);
    const fixture = fixtures[0]!;
    assert.deepEqual(
      { ...snapshot.data },
      {
        matchId: first,
        season: "2025-26",
        round: fixture.round,
        kickoff: fixture.kickoff,
        home: fixture.home,
        away: fixture.away,
        status: "live",
        minute: 0,
        score: { home: 0, away: 0 },
      },
    );
    const scores = await client.take((f) => f.type === "snapshot" && f.channel === "scores");
    assert.ok(scores.data.events.some((e: Frame) => e.seq === before.seq && e.data.matchId === first));

    const published = [];
    for (let minute = 1; minute <= 5; minute++)
      published.push(await live.publish(`match.${first}`, goal(first, minute, minute)));
    for (const channel of [`match.${first}`, "scores"]) {
      const events = await untilFound(
        () => {
          const got = client.frames.filter((f) => f.type === "event" && f.channel === channel);
          return got.length >= 5 ? got : undefined;
        },
        3000,
        `five events on ${channel}`,
      );
      assert.deepEqual(
        events.map((e) => e.seq),
        published.map((p) => p.seq),
      );
      assert.ok(events.every((e) => e.epoch === before.epoch));
      assert.deepEqual(events.at(-1)!.data, goal(first, 5, 5));
    }
  });

  test("refused channels are reported one by one and the valid ones of the frame subscribed all the same", async () => {
    const client = await connect();
    const cases: [string, string][] = [
      ["weather", "bad_request"],
      ["user.bob", "forbidden"],
      ["user.alice", "forbidden"],
      ["match.no-such-match", "not_found"],
      [`market.${first}.corners`, "not_found"],
    ];
    for (const [channel, code] of cases) {
      const id = `bad-${channel}`;
      client.send({ type: "subscribe", id, channels: ["scores", channel] });
      const answer = await client.take((f) => f.type === "subscribed" && f.id === id);
      assert.deepEqual(
        answer.channels.map((c: Frame) => c.channel),
        ["scores"],
        channel,
      );
      assert.deepEqual(
        answer.rejected.map((r: Frame) => [r.channel, r.code, r.retryable, typeof r.message]),
        [[channel, code, false, "string"]],
      );
      // As before `rejected` existed, each refused channel also has its own error frame.
      const error = await client.take((f) => f.type === "error" && f.id === id);
      assert.equal(error.code, code, channel);
    }
    // `scores` is live: a league event reaches the socket.
    const matchId = matchIds[6]!;
    const at = await live.publish(`match.${matchId}`, goal(matchId, 7, 1));
    await client.take((f) => f.type === "event" && f.channel === "scores" && f.seq === at.seq);

    // Nothing subscribable: no `subscribed`, one error per refused channel, in the frame's order.
    client.send({ type: "subscribe", id: "none", channels: ["weather", "user.bob"] });
    const errors = [
      await client.take((f) => f.type === "error" && f.id === "none"),
      await client.take((f) => f.type === "error" && f.id === "none"),
    ];
    assert.deepEqual(
      errors.map((e) => e.code),
      ["bad_request", "forbidden"],
    );
    // A frame that breaks the schema (a name no channel can have) is refused whole.
    client.send({ type: "subscribe", id: "malformed", channels: ["scores", "no spaces"] });
    const malformed = await client.take((f) => f.type === "error" && f.id === "malformed");
    assert.equal(malformed.code, "bad_request");
    client.send({ type: "ping", id: "p" });
    await client.take((f) => f.type === "pong");
    assert.equal(
      client.frames.filter((f) => f.type === "subscribed" && (f.id === "none" || f.id === "malformed"))
        .length,
      0,
    );
  });

  test("unsubscribe stops the channel's events", async () => {
    const client = await connect();
    client.send({ type: "subscribe", id: "s", channels: [`match.${second}`] });
    await client.take((f) => f.type === "snapshot");
    client.send({ type: "unsubscribe", id: "u", channels: [`match.${second}`] });
    const answer = await client.take((f) => f.type === "unsubscribed");
    assert.deepEqual(answer.channels, [`match.${second}`]);
    await live.publish(`match.${second}`, goal(second, 10, 1));
    // A second socket subscribed to the same match proves the event was fanned out.
    const witness = await connect();
    witness.send({ type: "subscribe", id: "w", channels: [`match.${second}`] });
    await witness.take((f) => f.type === "snapshot");
    await live.publish(`match.${second}`, goal(second, 11, 2));
    await witness.take((f) => f.type === "event");
    assert.equal(client.frames.filter((f) => f.type === "event").length, 0);
  });

  test("a socket that drops and resumes with since (on another gateway) gets every missed event once, in order", async () => {
    const channels = matchIds.map((id) => `match.${id}`);
    const published = new Map<string, number[]>(channels.map((c) => [c, []]));
    let count = 0;
    const publishSome = async (n: number) => {
      for (let i = 0; i < n; i++, count++) {
        const matchId = matchIds[count % matchIds.length]!;
        const at = await live.publish(`match.${matchId}` as LiveTopic, goal(matchId, count % 90, count));
        published.get(`match.${matchId}`)!.push(at.seq);
      }
    };
    const client = await connect("resumer");
    client.send({ type: "subscribe", id: "s", channels });
    const subscribed = await client.take((f) => f.type === "subscribed");
    const epoch = subscribed.channels[0].epoch as string;
    for (const state of subscribed.channels) published.get(state.channel)!.splice(0); // before our time
    const startSeqs = Object.fromEntries(subscribed.channels.map((s: Frame) => [s.channel, s.seq as number]));
    await publishSome(300);
    await until(() => client.frames.filter((f) => f.type === "event").length >= 300, 3000, "300 events");
    client.close();
    await client.waitClose();
    await publishSome(400);

    const since = Object.fromEntries(
      channels.map((c) => {
        const seen = client.frames.filter((f) => f.type === "event" && f.channel === c);
        return [c, { seq: seen.at(-1)?.seq ?? startSeqs[c], epoch }];
      }),
    );
    const resumed = await connect("resumer", other);
    resumed.send({ type: "subscribe", id: "r", channels, since });
    // Events keep coming while the history is read: none may be lost or doubled at the seam.
    await publishSome(300);
    const answer = await resumed.take((f) => f.type === "subscribed");
    assert.ok(answer.channels.every((c: Frame) => c.recovered === true));
    await until(
      () => resumed.frames.filter((f) => f.type === "event").length >= 700,
      5000,
      "700 events after the resume",
    );
    assert.equal(resumed.frames.filter((f) => f.type === "snapshot").length, 0);
    for (const channel of channels) {
      const got = [...client.frames, ...resumed.frames]
        .filter((f) => f.type === "event" && f.channel === channel)
        .map((f) => f.seq as number);
      assert.deepEqual(got, published.get(channel), channel);
    }
    assert.equal(count, 1000);
  });

  test("since with an unknown epoch is not recovered: a snapshot instead", async () => {
    const client = await connect();
    client.send({
      type: "subscribe",
      id: "e",
      channels: [`match.${first}`],
      since: { [`match.${first}`]: { seq: 1, epoch: "some-old-epoch" } },
    });
    const answer = await client.take((f) => f.type === "subscribed");
    assert.equal(answer.channels[0].recovered, false);
    const snapshot = await client.take((f) => f.type === "snapshot");
    assert.equal(snapshot.seq, answer.channels[0].seq);
    assert.equal(snapshot.data.matchId, first);
  });

  test("the user channel carries only the owner's events; without wallets its snapshot is unavailable", async () => {
    const position = await live.position("user.carol");
    const carol = await connect("carol");
    const dave = await connect("dave");
    for (const [client, user] of [
      [carol, "carol"],
      [dave, "dave"],
    ] as const) {
      client.send({
        type: "subscribe",
        id: "u",
        channels: ["user"],
        since: { user: { seq: position.seq, epoch: position.epoch } },
      });
      const answer = await client.take((f) => f.type === "subscribed");
      assert.deepEqual(
        answer.channels[0],
        { channel: "user", seq: position.seq, epoch: position.epoch, recovered: true },
        user,
      );
    }
    await live.publish("user.carol", { kind: "balance", balance: 12.5 });
    await live.publish("user.dave", { kind: "balance", balance: 99 });
    const carolEvent = await carol.take((f) => f.type === "event");
    const daveEvent = await dave.take((f) => f.type === "event");
    assert.deepEqual([carolEvent.channel, carolEvent.data.balance], ["user", 12.5]);
    assert.deepEqual([daveEvent.channel, daveEvent.data.balance], ["user", 99]);
    assert.equal(carol.frames.filter((f) => f.type === "event").length, 1);

    const erin = await connect("erin");
    erin.send({ type: "subscribe", id: "n", channels: ["user"] });
    const error = await erin.take((f) => f.type === "error");
    assert.deepEqual([error.id, error.code], ["n", "unavailable"]);
    // With another channel, that one is subscribed and `user` rejected as worth retrying.
    erin.send({ type: "subscribe", id: "m", channels: ["user", "scores"] });
    const partial = await erin.take((f) => f.type === "subscribed" && f.id === "m");
    assert.deepEqual(
      partial.channels.map((c: Frame) => c.channel),
      ["scores"],
    );
    assert.deepEqual(
      partial.rejected.map((r: Frame) => [r.channel, r.code, r.retryable]),
      [["user", "unavailable", true]],
    );
  });

  test("an event is serialised once per channel however many sockets receive it", async () => {
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`fan-${i}`)));
    for (const client of many) client.send({ type: "subscribe", id: "f", channels: ["scores"] });
    await Promise.all(many.map((c) => c.take((f) => f.type === "snapshot")));
    const metricsBefore = await gw.scrapeMetrics();
    const third = matchIds[2]!;
    const at = await live.publish(`match.${third}`, goal(third, 3, 1));
    await Promise.all(many.map((c) => c.take((f) => f.type === "event" && f.seq === at.seq)));
    const metricsAfter = await gw.scrapeMetrics();
    const delta = (name: string) => metric(metricsAfter, name) - metric(metricsBefore, name);
    // Only `scores` sockets listen to that match here: one serialisation for all of them.
    assert.equal(delta("live_frames_serialised_total"), 1);
    assert.ok(delta("live_fanout_frames_total") >= 50);
  });

  test("GET /api/matches merges live state, filters by status and validates the query", async () => {
    const live1 = await gw.app.inject({ url: "/api/matches?status=live" });
    assert.equal(live1.statusCode, 200);
    const liveIds = live1.json().matches.map((m: Frame) => m.matchId);
    assert.ok(liveIds.includes(first));
    for (const m of live1.json().matches) assert.equal(m.status, "live");

    const scheduled = (await gw.app.inject({ url: "/api/matches?status=scheduled" })).json().matches;
    assert.ok(scheduled.length > 0 && !scheduled.some((m: Frame) => liveIds.includes(m.matchId)));
    assert.ok(scheduled.every((m: Frame) => m.status === "scheduled" && m.score === undefined));
    const finished = (await gw.app.inject({ url: "/api/matches?status=finished" })).json().matches;
    assert.equal(finished.length, 291);
    assert.ok(finished.every((m: Frame) => m.season === "2025-26" && typeof m.score.home === "number"));

    const one = (await gw.app.inject({ url: `/api/matches/${first}` })).json();
    const latest = (await live.last(`match.${first}`))!.data as Frame;
    assert.deepEqual(
      [one.matchId, one.status, one.minute, one.score],
      [first, "live", latest.minute, latest.score],
    );
    assert.equal((await gw.app.inject({ url: "/api/matches/nope" })).statusCode, 404);
    const bad = await gw.app.inject({ url: "/api/matches?status=paused" });
    assert.deepEqual([bad.statusCode, bad.json().error.code], [400, "bad_request"]);
  });

  test("GET /api/standings counts matches finished live", async () => {
    const table = async () => (await gw.app.inject({ url: "/api/standings" })).json();
    const before = await table();
    assert.equal(before.season, "2025-26");
    assert.equal(before.table.length, 20);
    const fixture = fixtures.find((m) => m.id === second)!;
    const home = (t: Frame) => t.table.find((r: Frame) => r.team === fixture.home);
    await live.publish(`match.${second}`, {
      matchId: second,
      kind: "fulltime",
      minute: 90,
      score: { home: 3, away: 0 },
    });
    // The memory stream delivers synchronously: the gateway's board has it already.
    const updated = await table();
    assert.equal(home(updated).played, home(before).played + 1);
    assert.equal(home(updated).points, home(before).points + 3);
    assert.equal((await gw.app.inject({ url: "/api/standings?season=1999" })).statusCode, 400);
  });
});
