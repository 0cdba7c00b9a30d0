import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { until } from "../../../test/support/polling.js";
import type { LiveChannel, LiveEvent, LiveStream, LiveTopic } from "./live-stream.js";

export interface LiveLogLimits {
  maxAgeMs: number;
  maxMsgsPerTopic: number;
}

/**
 * One log: every `open()` is another process's view of it (another connection to the same stream
 * for JetStream, the same instance in memory). `dispose` closes them and deletes the log.
 */
export interface TestLiveLog {
  open(): Promise<LiveStream>;
  dispose(): Promise<void>;
}

export type MakeTestLiveLog = (limits: LiveLogLimits) => Promise<TestLiveLog>;

const defaults: LiveLogLimits = { maxAgeMs: 60_000, maxMsgsPerTopic: 10_000 };

/** The `LiveStream` contract (live-stream.ts), run against an adapter. */
export function liveStreamContract(name: string, makeLog: MakeTestLiveLog): void {
  describe(`LiveStream contract: ${name}`, () => {
    const logs: TestLiveLog[] = [];
    after(async () => {
      await Promise.all(logs.map((l) => l.dispose()));
    });
    async function twoViews(limits: Partial<LiveLogLimits> = {}) {
      const log = await makeLog({ ...defaults, ...limits });
      logs.push(log);
      return { publisher: await log.open(), reader: await log.open() };
    }
    const id = () => randomUUID().slice(0, 8);

    test("seq strictly increases across topics in publish order; publish reports it", async () => {
      const { publisher } = await twoViews();
      const topics: LiveTopic[] = [`match.${id()}`, `market.${id()}.1x2`, `user.${id()}`];
      const positions = [];
      for (let i = 0; i < 30; i++) positions.push(await publisher.publish(topics[i % 3]!, { i }));
      for (let i = 1; i < positions.length; i++) {
        assert.ok(positions[i]!.seq > positions[i - 1]!.seq);
        assert.equal(positions[i]!.epoch, positions[0]!.epoch);
      }
      const last = await publisher.last(topics[2]!);
      assert.equal(last?.seq, positions[29]!.seq);
      assert.deepEqual(last?.data, { i: 29 });
      assert.equal(last?.epoch, positions[0]!.epoch);
      assert.ok(!Number.isNaN(Date.parse(last!.time)));
    });

    test("subscribe delivers each later event of its channel once, in seq order, from its ready position", async () => {
      const { publisher, reader } = await twoViews();
      const match: LiveTopic = `match.${id()}`;
      const market: LiveTopic = `market.${id()}.ou25`;
      const user: LiveTopic = `user.${id()}`;
      const before = await publisher.publish(match, { early: true });
      const seen = new Map<LiveChannel, LiveEvent[]>();
      const subs = (["match.*", "market.*", user, match] as LiveChannel[]).map((channel) => {
        seen.set(channel, []);
        return reader.subscribe(channel, (e) => seen.get(channel)!.push(e));
      });
      const ready = await Promise.all(subs.map((s) => s.ready));
      for (const position of ready) assert.equal(position.epoch, before.epoch);
      const published = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          publisher
            .publish([match, market, user][i % 3]!, { i })
            .then((p) => ({ ...p, topic: [match, market, user][i % 3]!, i })),
        ),
      );
      const expect = (topics: LiveTopic[]) =>
        published
          .filter((p) => topics.includes(p.topic))
          .sort((a, b) => a.seq - b.seq)
          .map((p) => ({ seq: p.seq, topic: p.topic, data: { i: p.i } }));
      const got = (channel: LiveChannel) =>
        seen.get(channel)!.map((e) => ({ seq: e.seq, topic: e.topic, data: e.data }));
      await until(
        () => seen.get("match.*")!.length >= 100 && seen.get(user)!.length >= 100,
        3000,
        "100 events on match.* and on the user topic",
      );
      await until(
        () => seen.get("market.*")!.length >= 100 && seen.get(match)!.length >= 100,
        3000,
        "100 events on market.* and on the match topic",
      );
      // Other tests' topics share the log: a kind channel is checked on this test's topics.
      assert.deepEqual(
        got("match.*").filter((e) => e.topic === match),
        expect([match]),
      );
      assert.deepEqual(
        got("market.*").filter((e) => e.topic === market),
        expect([market]),
      );
      assert.ok(got("match.*").every((e) => e.topic.startsWith("match.")));
      assert.ok(got("market.*").every((e) => e.topic.startsWith("market.")));
      assert.deepEqual(got(user), expect([user]));
      assert.deepEqual(got(match), expect([match]));
      for (const events of seen.values()) {
        for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq);
      }
      for (const sub of subs) sub.close();
      await publisher.publish(user, { afterClose: true });
      await publisher.position(user);
      assert.equal(seen.get(user)!.length, 100);
    });

    test("ids with dots or characters a subject cannot hold stay one topic", async () => {
      const { publisher, reader } = await twoViews();
      const odd: LiveTopic = `user.a..b.${id()}.`;
      const marketTopic: LiveTopic = `market.2025-26-arsenal-chelsea.${id()}`;
      const seen: LiveEvent[] = [];
      const sub = reader.subscribe(odd, (e) => seen.push(e));
      await sub.ready;
      await publisher.publish(odd, { n: 1 });
      await publisher.publish(marketTopic, { n: 2 });
      await until(() => seen.length === 1, 3000, "the odd topic's event");
      assert.equal(seen[0]!.topic, odd);
      assert.equal((await reader.last(marketTopic))?.topic, marketTopic);
      sub.close();
    });

    test("history replays exactly the events after any point, across 10 topics", async () => {
      const { publisher, reader } = await twoViews();
      const prefix = id();
      const topics = Array.from(
        { length: 10 },
        (_, i): LiveTopic => (i < 5 ? `match.${prefix}-${i}` : `market.${prefix}.${i}`),
      );
      const published: { seq: number; topic: LiveTopic; i: number }[] = [];
      let epoch = "";
      for (let batch = 0; batch < 10; batch++) {
        const positions = await Promise.all(
          Array.from({ length: 100 }, (_, k) => {
            const i = batch * 100 + k;
            const topic = topics[(i * 7) % 10]!;
            return publisher.publish(topic, { i }).then((p) => ({ seq: p.seq, epoch: p.epoch, topic, i }));
          }),
        );
        for (const p of positions) published.push(p);
        epoch = positions[0]!.epoch;
      }
      published.sort((a, b) => a.seq - b.seq);
      const seqs = published.map((p) => p.seq);
      const points = [0, seqs[0]! - 1, seqs[0]!, seqs[499]!, seqs[990]!, seqs[999]!];
      for (const afterSeq of points) {
        for (const channel of [topics[3]!, topics[8]!] as LiveChannel[]) {
          const { recovered, events } = await reader.history(channel, afterSeq, epoch);
          assert.equal(recovered, true);
          const want = published.filter((p) => p.topic === channel && p.seq > afterSeq);
          assert.deepEqual(
            events.map((e) => ({ seq: e.seq, topic: e.topic, data: e.data, epoch: e.epoch })),
            want.map((p) => ({ seq: p.seq, topic: p.topic, data: { i: p.i }, epoch })),
          );
        }
        const kind = await reader.history("market.*", afterSeq, epoch);
        assert.equal(kind.recovered, true);
        const mine = kind.events.filter((e) => e.topic.startsWith(`market.${prefix}.`));
        assert.deepEqual(
          mine.map((e) => e.seq),
          published.filter((p) => p.topic.startsWith("market.") && p.seq > afterSeq).map((p) => p.seq),
        );
        for (let i = 1; i < kind.events.length; i++) assert.ok(kind.events[i]!.seq > kind.events[i - 1]!.seq);
      }
      const wrong = await reader.history(topics[0]!, 0, `${epoch}x`);
      assert.deepEqual(wrong, { recovered: false, events: [] });
    });

    test("history after events the per-topic limit discarded is not recovered", async () => {
      const { publisher, reader } = await twoViews({ maxMsgsPerTopic: 5 });
      const topic: LiveTopic = `user.${id()}`;
      const quiet: LiveTopic = `user.${id()}`;
      const positions = [];
      for (let i = 0; i < 12; i++) positions.push(await publisher.publish(topic, { i }));
      const { epoch } = positions[0]!;
      assert.deepEqual(await reader.history(topic, positions[2]!.seq, epoch), {
        recovered: false,
        events: [],
      });
      assert.deepEqual(await reader.history(topic, positions[5]!.seq, epoch), {
        recovered: false,
        events: [],
      });
      const kept = await reader.history(topic, positions[6]!.seq, epoch);
      assert.equal(kept.recovered, true);
      assert.deepEqual(
        kept.events.map((e) => e.data),
        [7, 8, 9, 10, 11].map((i) => ({ i })),
      );
      const nothingMissed = await reader.history(topic, positions[11]!.seq, epoch);
      assert.deepEqual(nothingMissed, { recovered: true, events: [] });
      assert.equal((await reader.history(quiet, positions[11]!.seq, epoch)).recovered, true);
    });

    test("last and position follow the latest event of a topic or kind", async () => {
      const { publisher, reader } = await twoViews();
      const topic: LiveTopic = `match.${id()}`;
      const other: LiveTopic = `match.${id()}`;
      assert.equal(await reader.last(topic), undefined);
      const empty = await reader.position(topic);
      assert.equal(empty.seq, 0);
      const first = await publisher.publish(topic, { n: 1 });
      const second = await publisher.publish(other, { n: 2 });
      assert.deepEqual(await reader.position(topic), first);
      assert.deepEqual(await reader.position(other), second);
      assert.ok((await reader.position("match.*")).seq >= second.seq);
      const last = await reader.last(topic);
      assert.deepEqual(
        { seq: last?.seq, data: last?.data, topic: last?.topic },
        { seq: first.seq, data: { n: 1 }, topic },
      );
    });
  });
}
