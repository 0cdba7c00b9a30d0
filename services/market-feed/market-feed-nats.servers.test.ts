import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LiveTopic } from "../../shared/bus/live-stream/live-stream.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { until } from "../../test/support/polling.js";
import { createMarketFeed, type MarketFeed, scheduleRounds } from "./market-feed.js";
import { createNatsLeaderLease } from "./nats-leader-lease.js";
import { createFeedWorld, type FeedWorld, fastFeedConfig, matchData } from "./testing/feed-world.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const leaseMs = 600;

describe("market feeds electing a leader on NATS", () => {
  const fixture = scheduleRounds(loadDataset())[0]![3]!;
  const bucket = `T${randomBytes(4).toString("hex")}_FEED_LEADER`;
  let world: FeedWorld;
  const connections: NatsConnection[] = [];
  const feeds: MarketFeed[] = [];
  const published = new Map<string, number>();

  async function feed(name: string): Promise<{ feed: MarketFeed; nc: NatsConnection }> {
    const nc = await connectNats({ natsUrl }, `feed-${name}`);
    connections.push(nc);
    const f = createMarketFeed({
      config: fastFeedConfig,
      live: world.live,
      publisher: {
        publish: (topic: LiveTopic, data: unknown) => {
          published.set(name, (published.get(name) ?? 0) + 1);
          return world.live.publish(topic, data);
        },
      },
      exchange: world.exchange,
      dataset: world.dataset,
      model: world.model,
      lease: await createNatsLeaderLease(nc, { bucket, ttlMs: leaseMs }),
      matchIds: [fixture.id],
    });
    feeds.push(f);
    return { feed: f, nc };
  }

  before(async () => {
    world = await createFeedWorld([fixture.id]);
  });
  after(async () => {
    await Promise.all(feeds.map((f) => f.stop()));
    const nc = await connectNats({ natsUrl }, "feed-test-cleanup");
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`);
    await nc.close();
    await Promise.all(connections.map((c) => (c.isClosed() ? undefined : c.close())));
    await world.close();
  });

  test("one of two feeds plays; when it dies mid-match the other continues without a repeat or a gap", async () => {
    const events = world.record(`match.${fixture.id}`);
    const a = await feed("a");
    const b = await feed("b");
    a.feed.start();
    await until(() => a.feed.leading, 3000, "the first feed leading");
    b.feed.start();
    await until(() => matchData(events).some((e) => e.minute >= 25), 5000, "minute 25");
    assert.equal(b.feed.leading, false);
    assert.equal(published.get("b"), undefined, "the standby publishes nothing");

    // The leader loses NATS (as a process that died would): its clock stops before its lease
    // expires, and the standby takes over from the last event it published.
    await a.nc.close();
    await until(() => b.feed.leading, 3000, "the standby leading");
    const handedOverAt = matchData(events).at(-1)!;
    await until(() => matchData(events).at(-1)?.kind === "fulltime", 8000, "full time");
    assert.ok(handedOverAt.minute > 20 && handedOverAt.minute < 90, `handed over at ${handedOverAt.minute}'`);
    assert.ok((published.get("b") ?? 0) > 0, "the standby published the rest");

    const data = matchData(events);
    const minutes = data.filter((e) => e.kind === "minute").map((e) => e.minute);
    assert.deepEqual(
      minutes,
      Array.from({ length: 90 }, (_, i) => i + 1),
    );
    let goals = 0;
    for (const [i, e] of data.entries()) {
      if (e.kind === "goal") goals++;
      assert.equal(e.score.home + e.score.away, goals, `event ${i}: ${e.kind} ${e.minute}'`);
    }
    const settled = await world.exchange.listMarkets({ matchId: fixture.id, status: "settled" });
    assert.equal(settled.length, 3);
  });
});
