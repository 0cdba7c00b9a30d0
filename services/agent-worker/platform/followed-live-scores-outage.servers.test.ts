import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../../shared/bus/live-stream/nats-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { type OwnedServer, startNatsServer } from "../../../test/support/owned-servers.js";
import { until } from "../../../test/support/polling.js";
import { createFollowedLiveScores } from "./followed-live-scores.js";
import { createLiveScores } from "./live-scores.js";

// The machine's NATS server is shared, so this suite restarts a server of its own.
const epl = loadDataset();
const matchId = epl.matches.find((m) => m.status !== "finished")!.id;
let server: OwnedServer;
const connections: NatsConnection[] = [];

async function open(): Promise<LiveStream> {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  connections.push(nc);
  return createNatsLiveStream(nc, {
    streamPrefix: "F_",
    subjectPrefix: "f.",
    maxAgeMs: 60_000,
    maxMsgsPerTopic: 1000,
  });
}

before(async () => {
  server = await startNatsServer();
});
after(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await server.stop();
});

test("after a NATS restart the read model goes on with the match where the log does", async () => {
  const [publisher, reader] = [await open(), await open()];
  const goal = (minute: number, home: number) =>
    publisher.publish(`match.${matchId}`, {
      matchId,
      kind: "goal",
      minute,
      score: { home, away: 0 },
      team: "x",
    });
  await goal(10, 1);
  const followed = createFollowedLiveScores({ dataset: epl, stream: reader, maxAgeMs: 60_000 });
  assert.deepEqual((await followed.match(matchId))?.score, { home: 1, away: 0 });

  await server.kill("SIGKILL");
  await server.restart();
  for (let home = 2; home <= 4; home++) {
    // A publish while the connection is still coming back fails; the feed would retry it.
    await until(
      () =>
        goal(10 * home, home).then(
          () => true,
          () => false,
        ),
      10_000,
      "a publish after the restart",
    );
  }
  const fromLog = createLiveScores({ dataset: epl, stream: reader });
  await until(
    async () => (await followed.match(matchId))?.score?.home === 4,
    10_000,
    "the goals after the restart",
  );
  assert.deepEqual(await followed.match(matchId), await fromLog.match(matchId));
  followed.close();
});
