import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { pause, until } from "../../../test/support/polling.js";
import { connectNats } from "../nats/nats-connection.js";
import type { LiveChannel, LiveEvent, LiveTopic } from "./live-stream.js";
import { type FollowOptions, followChannel } from "./nats-live-follow.js";
import { ensureLiveStream, type LiveLog, liveNames, topicSubject } from "./nats-live-log.js";

/**
 * Republished events lost in transit, as when the LIVE stream's leader dies with republishes in
 * flight (docs/operations.md, "Losing one node"). The stream republishes to a relay subject; this
 * test forwards each event to the subject the follower listens on, except the ones it drops.
 */
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const suffix = randomBytes(4).toString("hex");
const names = liveNames(`F${suffix}_`, `f${suffix}.`);
const relay = `f${suffix}.live-relay.`;
/** The header marking an event whose republish the relay drops. */
const lostHeader = "Test-Lost";
let nc: NatsConnection;
let log: LiveLog;

before(async () => {
  nc = await connectNats({ natsUrl }, "live-follow-test");
  const jsm = await jetstreamManager(nc);
  await ensureLiveStream(jsm, { ...names, republished: relay }, { maxAgeMs: 60_000, maxMsgsPerTopic: 1000 });
  log = { js: jetstream(nc), jsm, leader: jsm, names, epoch: () => "e" };
  nc.subscribe(`${relay}>`, {
    callback: (err, msg) => {
      if (err !== null || msg.headers?.has(lostHeader)) return;
      nc.publish(`${names.republished}${msg.subject.slice(relay.length)}`, msg.data, {
        headers: msg.headers,
      });
    },
  });
});

after(async () => {
  await (await jetstreamManager(nc)).streams.delete(names.stream);
  await nc.close();
});

/** Stores an event; `lost` drops its republish on the way to the follower. */
async function publish(topic: LiveTopic, lost = false): Promise<number> {
  const h = headers();
  if (lost) h.set(lostHeader, "1");
  const ack = await log.js.publish(topicSubject(names.stored, topic), JSON.stringify({ topic }), {
    headers: h,
  });
  return ack.seq;
}

async function follow(channel: LiveChannel, options: FollowOptions) {
  const received: LiveEvent[] = [];
  const follower = followChannel(nc, log, channel, (e) => received.push(e), options);
  await follower.ready;
  return { received, close: () => follower.close() };
}

const seqs = (events: LiveEvent[]) => events.map((e) => e.seq);

test("a kind's event whose predecessor in its topic never arrived comes after that predecessor, read from the log", async () => {
  const a: LiveTopic = `match.a${randomBytes(3).toString("hex")}`;
  // No quiet-spell reads: only the per-topic check can find the lost event.
  const { received, close } = await follow("match.*", { quietMs: Number.POSITIVE_INFINITY });
  try {
    const published = [await publish(a), await publish(a, true), await publish(a)];
    await until(() => received.length >= 3, 5000, "three events delivered");
    assert.deepEqual(seqs(received), published);
  } finally {
    close();
  }
});

test("a kind's first event after a quiet spell waits until the log shows what another topic lost", async () => {
  const id = randomBytes(3).toString("hex");
  const a: LiveTopic = `market.a${id}.1x2`;
  const b: LiveTopic = `market.b${id}.1x2`;
  const quietMs = 200;
  const { received, close } = await follow("market.*", { quietMs });
  try {
    const published = [await publish(a), await publish(a, true)];
    // The leader's election: nothing arrives for longer than the quiet spell.
    await pause(quietMs * 2);
    published.push(await publish(b));
    await until(() => received.length >= 3, 5000, "three events delivered");
    assert.deepEqual(seqs(received), published, "in seq order, the lost one included");
  } finally {
    close();
  }
});

test("a predecessor found only after other topics' later events is delivered, in order for its topic", async () => {
  const id = randomBytes(3).toString("hex");
  const a: LiveTopic = `match.a${id}`;
  const b: LiveTopic = `match.b${id}`;
  const { received, close } = await follow("match.*", { quietMs: Number.POSITIVE_INFINITY });
  try {
    const [a1, a2, b1, a3] = [await publish(a), await publish(a, true), await publish(b), await publish(a)];
    await until(() => received.length >= 4, 5000, "four events delivered");
    assert.deepEqual(seqs(received), [a1, b1, a2, a3]);
  } finally {
    close();
  }
});

test("a topic's event whose predecessor never arrived comes after it", async () => {
  const topic: LiveTopic = `user.u${randomBytes(3).toString("hex")}`;
  const { received, close } = await follow(topic, {});
  try {
    const published = [await publish(topic, true), await publish(topic, true), await publish(topic)];
    await until(() => received.length >= 3, 5000, "three events delivered");
    assert.deepEqual(seqs(received), published);
  } finally {
    close();
  }
});
