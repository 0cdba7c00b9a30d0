import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LiveStream, LiveTopic } from "../../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../../shared/bus/live-stream/nats-live-stream.js";
import { connectNats } from "../../../shared/bus/nats/nats-connection.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { until } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const matchIds = loadDataset()
  .matches.filter((m) => m.season === "2025-26" && m.status === "scheduled")
  .slice(0, 4)
  .map((m) => m.id);

describe("live channels across two gateways on the NATS LIVE stream", () => {
  const suffix = randomBytes(4).toString("hex");
  const options = {
    streamPrefix: `GWL${suffix}_`,
    subjectPrefix: `gwl${suffix}.`,
    maxAgeMs: 60_000,
    maxMsgsPerTopic: 1000,
  };
  const connections: NatsConnection[] = [];
  const streams: LiveStream[] = [];
  const gateways: Harness[] = [];
  const clients: TestClient[] = [];
  let publisher: LiveStream;

  const openStream = async () => {
    const nc = await connectNats({ natsUrl }, "gateway-live-test");
    connections.push(nc);
    const stream = await createNatsLiveStream(nc, options);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    publisher = await openStream();
    for (const gatewayId of ["gw-a", "gw-b"])
      gateways.push(await startGateway({ gatewayId }, { live: await openStream() }));
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const gateway of gateways) await gateway.close();
    for (const stream of streams) await stream.close();
    await (await jetstreamManager(connections[0]!)).streams.delete(`${options.streamPrefix}LIVE`);
    for (const nc of connections) await nc.close();
  });

  test("events published by another process reach subscribers in order; a resume on the other gateway misses none", async () => {
    const channels = [...matchIds.map((id) => `match.${id}`), "scores", "user"];
    const client = await TestClient.connect(gateways[0]!.wsUrl, tokenFor("nina"));
    clients.push(client);
    client.send({ type: "subscribe", id: "s", channels: channels.filter((c) => c !== "user") });
    const subscribed = await client.take((f) => f.type === "subscribed");
    const epoch = subscribed.channels[0].epoch as string;
    client.send({ type: "subscribe", id: "u", channels: ["user"], since: { user: { seq: 0, epoch } } });
    await client.take((f) => f.type === "subscribed" && f.id === "u");

    const published = new Map<string, number[]>(channels.map((c) => [c, []]));
    let count = 0;
    const publishSome = async (n: number) => {
      for (let i = 0; i < n; i++, count++) {
        if (i % 10 === 9) {
          const at = await publisher.publish("user.nina", { kind: "balance", balance: count });
          await publisher.publish("user.someone-else", { kind: "balance", balance: -1 });
          published.get("user")!.push(at.seq);
          continue;
        }
        const matchId = matchIds[count % matchIds.length]!;
        const at = await publisher.publish(`match.${matchId}` as LiveTopic, {
          matchId,
          kind: "minute",
          minute: count % 90,
          score: { home: 0, away: 0 },
        });
        published.get(`match.${matchId}`)!.push(at.seq);
        published.get("scores")!.push(at.seq);
      }
    };
    await publishSome(100);
    const expectedFirst = [...published.values()].reduce((n, seqs) => n + seqs.length, 0);
    await until(
      () => client.frames.filter((f) => f.type === "event").length >= expectedFirst,
      5000,
      "the first events",
    );
    client.close();
    await client.waitClose();
    await publishSome(100);

    const since = Object.fromEntries(
      channels.map((c) => [
        c,
        { seq: client.frames.filter((f) => f.type === "event" && f.channel === c).at(-1)?.seq ?? 0, epoch },
      ]),
    );
    const resumed = await TestClient.connect(gateways[1]!.wsUrl, tokenFor("nina"));
    clients.push(resumed);
    resumed.send({ type: "subscribe", id: "r", channels, since });
    await publishSome(50);
    const answer = await resumed.take((f) => f.type === "subscribed", 5000);
    assert.ok(answer.channels.every((c: { recovered?: boolean }) => c.recovered === true));
    const expectedTotal = [...published.values()].reduce((n, seqs) => n + seqs.length, 0);
    await until(
      () => [...client.frames, ...resumed.frames].filter((f) => f.type === "event").length >= expectedTotal,
      5000,
      "every event",
    );
    for (const channel of channels) {
      const got = [...client.frames, ...resumed.frames]
        .filter((f) => f.type === "event" && f.channel === channel)
        .map((f) => f.seq as number);
      assert.deepEqual(got, published.get(channel), channel);
    }
    const userEvents = resumed.frames.filter((f) => f.type === "event" && f.channel === "user");
    assert.ok(
      userEvents.length > 0 && userEvents.every((f) => f.data.balance >= 0),
      "only nina's own events",
    );
  });
});
