import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { marketId } from "../../../shared/epl/markets.js";
import { until } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

const matchId = loadDataset().matches.find((m) => m.season === "2025-26")!.id;
const market = marketId(matchId, "1x2");

let live: LiveStream;
let gw: Harness;
/** Reads of a topic's latest event that reached the stream. */
let lastReads = 0;

before(async () => {
  live = createMemoryLiveStream();
  const counted: LiveStream = Object.create(live);
  counted.last = (topic) => {
    lastReads += 1;
    return live.last(topic);
  };
  gw = await startGateway({}, { live: counted });
});
after(async () => {
  await gw.close();
  await live.close();
});

test("match and market snapshots the hub holds are answered without reading the stream, and stay exact", async () => {
  // This gateway has no exchange: a market's snapshot needs an event of it.
  await live.publish(`market.${market}`, {
    marketId: market,
    status: "open",
    prices: { home: 0.5, draw: 0.3, away: 0.2 },
  });
  const watcher = await TestClient.connect(gw.wsUrl, tokenFor("watcher"));
  watcher.send({ type: "subscribe", id: "w", channels: [`match.${matchId}`, `market.${market}`] });
  await watcher.take((f) => f.type === "subscribed");
  const goal = await live.publish(`match.${matchId}`, {
    matchId,
    kind: "goal",
    minute: 12,
    score: { home: 1, away: 0 },
  });
  const price = await live.publish(`market.${market}`, {
    marketId: market,
    status: "open",
    prices: { home: 0.6, draw: 0.25, away: 0.15 },
  });
  // Both events have been through the hub once the watcher has them.
  await watcher.take((f) => f.type === "event" && f.seq === price.seq);

  const readsBefore = lastReads;
  const client = await TestClient.connect(gw.wsUrl, tokenFor("late"));
  client.send({ type: "subscribe", id: "s", channels: [`match.${matchId}`, `market.${market}`] });
  const subscribed = await client.take((f) => f.type === "subscribed");
  const seqs = Object.fromEntries(
    subscribed.channels.map((c: { channel: string; seq: number }) => [c.channel, c.seq]),
  );
  assert.deepEqual(seqs, { [`match.${matchId}`]: goal.seq, [`market.${market}`]: price.seq });
  const matchSnapshot = await client.take((f) => f.type === "snapshot" && f.channel === `match.${matchId}`);
  assert.deepEqual([matchSnapshot.data.minute, matchSnapshot.data.score], [12, { home: 1, away: 0 }]);
  const marketSnapshot = await client.take((f) => f.type === "snapshot" && f.channel === `market.${market}`);
  assert.deepEqual(marketSnapshot.data.prices, { home: 0.6, draw: 0.25, away: 0.15 });
  assert.equal(lastReads, readsBefore);

  // Events after the snapshot follow it, none repeated.
  const next = await live.publish(`match.${matchId}`, {
    matchId,
    kind: "minute",
    minute: 13,
    score: { home: 1, away: 0 },
  });
  const event = await client.take((f) => f.type === "event");
  assert.equal(event.seq, next.seq);
  await until(() => client.drain((f) => f.type === "event").length === 0, 3000, "no event left unread");
  for (const c of [watcher, client]) c.close();
});
