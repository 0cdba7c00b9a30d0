import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunJob } from "../../../shared/bus/run-queue/run-queue.js";
import { untilFound } from "../../../test/support/polling.js";
import {
  echoScript,
  type Harness,
  scriptedWorker,
  startGateway,
  tokenFor,
} from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

const runId = /^[0-9a-f]{48}$/;

/** Collects a run's frames after `agent.accepted` up to its terminal frame. */
async function streamOf(client: TestClient, id: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (;;) {
    const frame = await client.take((f) => f.id === id && f.type !== "agent.accepted");
    frames.push(frame);
    if (frame.type === "agent.done" || frame.type === "agent.error" || frame.type === "error") return frames;
  }
}

describe("agent runs over WebSocket", () => {
  let gw: Harness;
  const jobs: RunJob[] = [];
  before(async () => {
    gw = await startGateway();
    scriptedWorker(gw.runQueue, (job) => {
      jobs.push(job);
      return echoScript(job);
    });
  });
  after(() => gw.close());

  test("agent.run is accepted, then streamed in seq order with id and requestId, to agent.done", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice", { tier: "pro" }));
    client.send({
      type: "agent.run",
      id: "run-1",
      intent: "scout",
      input: "Arsenal form?",
      context: { matchId: "m7" },
    });
    const accepted = await client.take((f) => f.id === "run-1");
    assert.equal(accepted.type, "agent.accepted");
    assert.equal(accepted.agent, "eplScoutAgent");
    assert.match(accepted.requestId, runId);
    const frames = await streamOf(client, "run-1");
    assert.deepEqual(
      frames.map((f) => [f.type, f.seq, f.requestId, f.text]),
      [
        ["agent.delta", 1, accepted.requestId, "alice:"],
        ["agent.delta", 2, accepted.requestId, "Arsenal form?"],
        ["agent.delta", 3, accepted.requestId, "."],
        ["agent.done", 4, accepted.requestId, undefined],
      ],
    );
    assert.deepEqual(frames.at(-1)?.usage, { inputTokens: 3, outputTokens: 3 });
    const job = jobs.find((j) => j.request.requestId === accepted.requestId);
    assert.deepEqual(
      [job?.request.userId, job?.request.tier, job?.request.agent, job?.request.context],
      ["alice", "pro", "eplScoutAgent", { matchId: "m7" }],
    );
    client.close();
  });

  test("the same run id again does not start a second run: same requestId, replayed from seq 1", async () => {
    const first = await TestClient.connect(gw.wsUrl, tokenFor("dana"));
    first.send({ type: "agent.run", id: "dup", agent: "supportAgent", input: "help" });
    const accepted = await first.take((f) => f.type === "agent.accepted");
    await streamOf(first, "dup");
    first.close();

    const second = await TestClient.connect(gw.wsUrl, tokenFor("dana"));
    second.send({ type: "agent.run", id: "dup", agent: "supportAgent", input: "help" });
    const again = await second.take((f) => f.type === "agent.accepted");
    assert.equal(again.requestId, accepted.requestId);
    const replay = await streamOf(second, "dup");
    assert.deepEqual(
      replay.map((f) => f.seq),
      [1, 2, 3, 4],
    );
    assert.equal(jobs.filter((j) => j.request.userId === "dana").length, 1);

    // Another user's identical frame id is a different run.
    const other = await TestClient.connect(gw.wsUrl, tokenFor("erin"));
    other.send({ type: "agent.run", id: "dup", agent: "supportAgent", input: "help" });
    const theirs = await other.take((f) => f.type === "agent.accepted");
    assert.notEqual(theirs.requestId, accepted.requestId);
    second.close();
    other.close();
  });

  test("cancelling a run id this connection did not start is not_found", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    client.send({ type: "agent.cancel", id: "nope" });
    assert.equal((await client.take((f) => f.id === "nope")).code, "not_found");
    client.close();
  });

  test("a bus that refuses the run answers its error on the frame id", async () => {
    const full = await startGateway({}, {});
    await full.runQueue.close();
    const client = await TestClient.connect(full.wsUrl, tokenFor("alice"));
    client.send({ type: "agent.run", id: "r", agent: "supportAgent", input: "hi" });
    const error = await client.take((f) => f.id === "r");
    assert.deepEqual([error.type, error.code], ["error", "unavailable"]);
    assert.ok(client.isOpen);
    client.close();
    await full.close();
  });

  test("200 concurrent runs from 50 users: each user sees only their own runs, each complete and ordered", async () => {
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    // Pro users: four runs at once are within their concurrency limit (a free user may hold two).
    const clients = await Promise.all(
      users.map((u) => TestClient.connect(gw.wsUrl, tokenFor(u, { tier: "pro" }))),
    );
    for (const client of clients) {
      for (let r = 0; r < 4; r++)
        client.send({ type: "agent.run", id: `r${r}`, agent: "walletAgent", input: `q${r}` });
    }
    await Promise.all(
      clients.map(async (client, u) => {
        const accepted = new Map<string, string>();
        for (let r = 0; r < 4; r++) {
          const frame = await client.take((f) => f.type === "agent.accepted", 10_000);
          accepted.set(frame.id, frame.requestId);
        }
        for (const [id, requestId] of accepted) {
          const frames = await streamOf(client, id);
          assert.ok(frames.every((f) => f.requestId === requestId));
          assert.deepEqual(
            frames.map((f) => f.seq),
            [1, 2, 3, 4],
          );
          assert.equal(frames[0]?.text, `${users[u]}:`);
          assert.equal(frames[1]?.text, `q${id.slice(1)}`);
        }
        const requestIds = new Set(accepted.values());
        assert.ok(
          client.frames.every((f) => f.requestId === undefined || requestIds.has(f.requestId)),
          "no other user's frames",
        );
      }),
    );
    for (const client of clients) client.close();
  });
});

describe("cancel and resume", () => {
  let gw: Harness;
  /** Pending runs by requestId: the test decides what each emits and when. */
  const held = new Map<string, RunJob>();
  before(async () => {
    gw = await startGateway();
    gw.runQueue.consume(
      (job) =>
        new Promise<void>((resolve) => {
          held.set(job.request.requestId, job);
          job.signal.addEventListener("abort", () => {
            void job
              .emit({
                type: "agent.done",
                stopReason: "cancelled",
                usage: { inputTokens: 1, outputTokens: 0 },
              })
              .then(() => job.ack())
              // At shutdown the closed queue refuses the emit; the run just ends.
              .then(resolve, resolve);
          });
        }),
      { concurrency: 16 },
    );
  });
  after(() => gw.close());

  test("agent.cancel ends the run with agent.done cancelled", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("carol"));
    client.send({ type: "agent.run", id: "c1", agent: "eplTradingAgent", input: "buy" });
    const accepted = await client.take((f) => f.type === "agent.accepted");
    await untilFound(() => held.get(accepted.requestId), 3000, "the worker to hold the run");
    client.send({ type: "agent.cancel", id: "c1" });
    const done = await client.take((f) => f.type === "agent.done");
    assert.deepEqual(
      [done.id, done.requestId, done.stopReason, done.seq],
      ["c1", accepted.requestId, "cancelled", 1],
    );
    client.close();
  });

  test("resume after a disconnect replays every missed chunk once and in order, then the live rest", async () => {
    const first = await TestClient.connect(gw.wsUrl, tokenFor("frank"));
    first.send({ type: "agent.run", id: "long", agent: "leagueStatsAgent", input: "table" });
    const { requestId } = await first.take((f) => f.type === "agent.accepted");
    const job = await untilFound(() => held.get(requestId), 3000, "the worker to hold the run");
    await job.emit({ type: "agent.delta", text: "a" });
    await job.emit({ type: "agent.delta", text: "b" });
    await first.take((f) => f.seq === 2);
    first.socket.terminate();
    await first.waitClose();

    await job.emit({ type: "agent.delta", text: "c" });
    await job.emit({ type: "agent.delta", text: "d" });

    const intruder = await TestClient.connect(gw.wsUrl, tokenFor("mallory"));
    intruder.send({ type: "agent.resume", id: "steal", requestId, after: 0 });
    assert.equal((await intruder.take((f) => f.id === "steal")).code, "not_found");

    const second = await TestClient.connect(gw.wsUrl, tokenFor("frank"));
    second.send({ type: "agent.resume", id: "long", requestId, after: 2 });
    await second.take((f) => f.seq === 4);
    await job.emit({ type: "agent.delta", text: "e" });
    await job.emit({
      type: "agent.done",
      stopReason: "end_turn",
      usage: { inputTokens: 1, outputTokens: 5 },
    });
    await job.ack();
    await second.take((f) => f.type === "agent.done");
    const frames = second.frames.filter((f) => f.requestId === requestId);
    assert.deepEqual(
      frames.map((f) => [f.seq, f.text ?? f.type]),
      [
        [3, "c"],
        [4, "d"],
        [5, "e"],
        [6, "agent.done"],
      ],
    );
    assert.ok(frames.every((f) => f.id === "long"));
    assert.ok(!intruder.frames.some((f) => f.requestId === requestId), "the other user saw nothing");
    intruder.close();
    second.close();
  });
});
