import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type OwnedNatsCluster, startNatsCluster } from "../../../test/support/owned-servers.js";
import { until } from "../../../test/support/polling.js";
import { createNatsLiveStream } from "../live-stream/nats-live-stream.js";
import { createNatsRunQueue } from "../run-queue/nats-run-queue.js";
import { runNames } from "../run-queue/nats-run-streams.js";
import { defaultRunQueueOptions } from "../run-queue/run-queue-defaults.js";
import { connectNats } from "./nats-connection.js";

const liveOptions = { maxAgeMs: 60_000, maxMsgsPerTopic: 100 };

/**
 * NATS_REPLICAS on a 3-node cluster the test owns: how many nodes hold each stream and KV bucket
 * the platform creates, which is what decides whether the loss of a node loses anything.
 */
describe("JetStream replicas on a 3-node cluster", { timeout: 60_000 }, () => {
  let cluster: OwnedNatsCluster;
  let nc: NatsConnection;
  before(async () => {
    cluster = await startNatsCluster(3);
    nc = await connectNats({ natsUrl: cluster.url }, "replicas-test");
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  /** Every stream of `prefix` (run queue, KV bucket, LIVE) once its followers are all known. */
  async function streamsOf(prefix: string, count: number): Promise<StreamInfo[]> {
    const jsm = await jetstreamManager(nc);
    let streams: StreamInfo[] = [];
    await until(
      async () => {
        streams = (await jsm.streams.list().next()).filter((s) => s.config.name.includes(prefix));
        return streams.length === count;
      },
      10_000,
      `${count} streams of ${prefix}`,
    );
    return streams;
  }

  async function open(prefix: string, replicas: number) {
    const names = { streamPrefix: prefix, subjectPrefix: `${prefix.toLowerCase()}.` };
    const queue = await createNatsRunQueue(nc, { ...defaultRunQueueOptions, ...names, replicas });
    const live = await createNatsLiveStream(nc, { ...liveOptions, ...names, replicas });
    return async () => {
      await queue.close();
      await live.close();
    };
  }

  test("with 3 replicas, every stream and KV bucket of the run queue and the LIVE log is kept on all 3 nodes", async () => {
    const prefix = `R${randomBytes(3).toString("hex")}_`;
    const close = await open(prefix, 3);
    try {
      const expected = [...runNames(prefix, "").streams, `${prefix}LIVE`].sort();
      const streams = await streamsOf(prefix, expected.length);
      assert.deepEqual(streams.map((s) => s.config.name).sort(), expected);
      for (const s of streams) {
        assert.equal(s.config.num_replicas, 3, `${s.config.name}: 3 replicas configured`);
        assert.equal((s.cluster?.replicas ?? []).length, 2, `${s.config.name}: a leader and 2 followers`);
      }
    } finally {
      await close();
    }
  });

  test("a deployment moving from 1 to 3 replicas: its streams gain the copies at the next start", async () => {
    const prefix = `U${randomBytes(3).toString("hex")}_`;
    await (await open(prefix, 1))();
    const single = await streamsOf(prefix, 5);
    assert.ok(single.every((s) => s.config.num_replicas === 1));
    await (await open(prefix, 3))();
    const streams = (await streamsOf(prefix, 5)).filter((s) => !s.config.name.startsWith("KV_"));
    assert.deepEqual(
      streams.map((s) => [s.config.name, s.config.num_replicas]),
      streams.map((s) => [s.config.name, 3]),
    );
  });
});
