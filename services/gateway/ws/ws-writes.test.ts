import assert from "node:assert/strict";
import type { Duplex } from "node:stream";
import { after, before, test } from "node:test";
import { pause } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

type WriteMethod = (...args: unknown[]) => void;

let gw: Harness;
/** Writes the gateway made on its client sockets' connections (each one a system call). */
let writes = 0;

before(async () => {
  gw = await startGateway();
  gw.app.server.on("upgrade", (_request, socket: Duplex & { _write: WriteMethod; _writev?: WriteMethod }) => {
    const write = socket._write;
    const writev = socket._writev;
    socket._write = function (this: Duplex, ...args: unknown[]) {
      writes += 1;
      return write.apply(this, args);
    };
    if (writev !== undefined) {
      socket._writev = function (this: Duplex, ...args: unknown[]) {
        writes += 1;
        return writev.apply(this, args);
      };
    }
  });
  gw.runQueue.consume(
    async (job) => {
      // The run's work before its first frame, so `agent.accepted` goes out on its own.
      await pause(50);
      // A tool call and the answer, emitted back to back as an agent does.
      await Promise.all([
        job.emit({ type: "agent.tool", callId: "t1", name: "getStandings", status: "started" }),
        job.emit({ type: "agent.tool", callId: "t1", name: "getStandings", status: "finished" }),
        job.emit({ type: "agent.delta", text: "Arsenal lead." }),
        job.emit({ type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 2 } }),
      ]);
      await job.ack();
    },
    { concurrency: 4 },
  );
});
after(() => gw.close());

test("frames of a run that arrive together reach the client in one write", async () => {
  const client = await TestClient.connect(gw.wsUrl, tokenFor("alice", { tier: "pro" }));
  client.send({ type: "agent.run", id: "r1", agent: "leagueStatsAgent", input: "table" });
  await client.take((f) => f.id === "r1" && f.type === "agent.accepted");
  const before = writes;
  const frames = [];
  for (;;) {
    const frame = await client.take((f) => f.id === "r1");
    frames.push(frame.type);
    if (frame.type === "agent.done") break;
  }
  assert.deepEqual(frames, ["agent.tool", "agent.tool", "agent.delta", "agent.done"]);
  assert.equal(writes - before, 1);
  client.close();
});
