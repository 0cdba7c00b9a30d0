import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { sampleValue } from "../../../shared/metrics/prometheus-text.js";
import { until } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

const fixtures = loadDataset().matches.filter((m) => m.season === "2025-26" && m.status === "scheduled");
const [flooded, watched, traded] = fixtures.map((m) => m.id) as [string, string, string];
const marketA = `${traded}.1x2`;
const marketB = `${traded}.btts`;
// Big events fill the kernel's socket buffers (a few MB on loopback) in a few hundred publishes.
const padding = "x".repeat(16_384);
const othersCount = 1000;

async function counter(harness: Harness, name: string): Promise<number> {
  return sampleValue(await harness.scrapeMetrics(), name) ?? 0;
}

/** Yields to I/O so sockets make progress between publishes. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("slow sockets: conflation and slow_consumer, while 1,000 others keep up", () => {
  let live: LiveStream;
  let gw: Harness;
  let others: TestClient[] = [];
  const published: number[] = [];

  before(async () => {
    live = createMemoryLiveStream();
    gw = await startGateway(
      { liveConflateAboveBytes: 64 * 1024, liveSlowConsumerBytes: 256 * 1024 },
      { live },
    );
    for (let i = 0; i < othersCount; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) => TestClient.connect(gw.wsUrl, tokenFor(`other-${i + j}`))),
      );
      others.push(...batch);
    }
    for (const client of others) client.send({ type: "subscribe", id: "s", channels: [`match.${watched}`] });
    await Promise.all(others.map((c) => c.take((f) => f.type === "snapshot", 10_000)));
  });
  after(async () => {
    for (const client of others) client.close();
    others = [];
    await gw.close();
    await live.close();
  });

  /** Publishes one small event to the 1,000 and checks every one of them has it within `withinMs`. */
  async function othersReceive(minute: number, withinMs: number) {
    const at = await live.publish(`match.${watched}`, {
      matchId: watched,
      kind: "minute",
      minute,
      score: { home: 0, away: 0 },
    });
    published.push(at.seq);
    const started = Date.now();
    await until(
      () => others.every((c) => c.frames.some((f) => f.type === "event" && f.seq === at.seq)),
      withinMs,
      `all ${othersCount} sockets to receive seq ${at.seq}`,
    );
    return Date.now() - started;
  }

  test("a socket that stops reading `scores` gets slow_consumer and close 4008", async () => {
    const slow = await TestClient.connect(gw.wsUrl, tokenFor("slow-scores"));
    slow.send({ type: "subscribe", id: "s", channels: ["scores"] });
    await slow.take((f) => f.type === "snapshot");
    slow.socket.pause();
    const disconnectsBefore = await counter(gw, "live_slow_consumer_disconnects_total");
    let minute = 0;
    for (let i = 0; i < 2000; i++) {
      await live.publish(`match.${flooded}`, {
        matchId: flooded,
        kind: "minute",
        minute: i % 90,
        score: { home: 0, away: 0 },
        padding,
      });
      if (i % 50 === 0) {
        await tick();
        // The 1,000 healthy sockets are served while the slow one backs up.
        assert.ok((await othersReceive(minute++, 2000)) < 2000);
        if ((await counter(gw, "live_slow_consumer_disconnects_total")) > disconnectsBefore) break;
      }
    }
    assert.equal(await counter(gw, "live_slow_consumer_disconnects_total"), disconnectsBefore + 1);
    slow.socket.resume();
    const closed = await slow.waitClose(5000);
    assert.equal(closed.code, 4008);
    const error = slow.frames.find((f) => f.type === "error");
    assert.equal(error?.code, "slow_consumer");
    // Every frame the slow socket did get was in order and whole.
    const seqs = slow.frames.filter((f) => f.type === "event").map((f) => f.seq as number);
    assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!));
    await othersReceive(minute, 2000);
  });

  test("a socket that stops reading market channels gets the latest per market, marked conflated", async () => {
    // This gateway has no exchange: a market's snapshot comes from its latest event.
    await live.publish(`market.${marketA}`, {
      marketId: marketA,
      status: "open",
      prices: { home: 0.4, draw: 0.3, away: 0.3 },
    });
    const slow = await TestClient.connect(gw.wsUrl, tokenFor("slow-prices"));
    slow.send({ type: "subscribe", id: "s", channels: [`market.${marketA}`, "prices"] });
    const subscribed = await slow.take((f) => f.type === "subscribed");
    assert.equal(subscribed.channels.length, 2);
    slow.socket.pause();
    const conflatedBefore = await counter(gw, "live_conflated_total");
    const last: Record<string, number> = {};
    const total = 600;
    for (let i = 0; i < total; i++) {
      const marketId = i % 3 === 0 ? marketB : marketA;
      const home = 0.2 + (i % 50) / 100;
      const prices =
        marketId === marketA ? { home, draw: 0.1, away: 0.9 - home } : { yes: home, no: 1 - home };
      const at = await live.publish(`market.${marketId}`, { marketId, status: "open", prices, padding });
      last[marketId] = at.seq;
      if (i % 50 === 0) {
        await tick();
        await othersReceive(i, 2000);
      }
    }
    assert.ok((await counter(gw, "live_conflated_total")) > conflatedBefore, "some events were conflated");
    slow.socket.resume();
    for (const [channel, seq] of [
      [`market.${marketA}`, last[marketA]],
      ["prices", last[marketA]],
      ["prices", last[marketB]],
    ] as const) {
      await slow.take((f) => f.type === "event" && f.channel === channel && f.seq === seq, 5000);
    }
    assert.ok(slow.isOpen, "a conflated socket stays open");
    for (const channel of [`market.${marketA}`, "prices"]) {
      const events = slow.frames.filter((f: Frame) => f.type === "event" && f.channel === channel);
      const seqs = events.map((f) => f.seq as number);
      assert.ok(
        seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!),
        `${channel} in seq order`,
      );
      assert.ok(
        events.some((f) => f.conflated === true),
        `${channel} has conflated events`,
      );
      assert.ok(
        events.length < (channel === "prices" ? total : (total * 2) / 3),
        `${channel} dropped stale events`,
      );
    }
    const final = slow.frames.filter((f) => f.type === "event" && f.channel === `market.${marketA}`).at(-1)!;
    assert.deepEqual(final.data, (await live.last(`market.${marketA}`))!.data);
    slow.close();
  });
});
