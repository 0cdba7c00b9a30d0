import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

const matchId = loadDataset().matches.find((m) => m.season === "2025-26")!.id;

let live: LiveStream;
let gw: Harness;
before(async () => {
  live = createMemoryLiveStream();
  gw = await startGateway({}, { live });
});
after(async () => {
  await gw.close();
  await live.close();
});

test("live events of every frame length reach each subscriber whole and in order", async () => {
  const clients = await Promise.all(["ann", "ben"].map((u) => TestClient.connect(gw.wsUrl, tokenFor(u))));
  for (const client of clients) {
    client.send({ type: "subscribe", id: "s", channels: [`match.${matchId}`] });
    await client.take((f) => f.type === "snapshot");
  }
  // Payloads under 126 bytes, under 64 KiB and over it take the three length encodings.
  const notes = ["", "é".repeat(400), "x".repeat(70_000)];
  for (const [minute, note] of notes.entries()) {
    await live.publish(`match.${matchId}`, {
      matchId,
      kind: "minute",
      minute,
      score: { home: 0, away: 0 },
      note,
    });
  }
  for (const client of clients) {
    for (const [minute, note] of notes.entries()) {
      const event = await client.take((f) => f.type === "event");
      assert.deepEqual([event.data.minute, event.data.note], [minute, note]);
    }
    // The connection still parses frames after them.
    client.send({ type: "ping", id: "after" });
    await client.take((f) => f.id === "after");
    client.close();
  }
});
