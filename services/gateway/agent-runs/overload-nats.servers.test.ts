import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../../shared/bus/nats/nats-connection.js";
import { createNatsRunQueue } from "../../../shared/bus/run-queue/nats-run-queue.js";
import { runNames } from "../../../shared/bus/run-queue/nats-run-streams.js";
import type { RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { defaultRunQueueOptions } from "../../../shared/bus/run-queue/run-queue-defaults.js";
import { pause } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

/**
 * docs/protocol.md "Limits" under overload, on JetStream: a queue of 20 runs and one slow worker (2 runs
 * at a time, 300 ms each). A flood of free-tier runs fills the free share of the queue and the rest
 * are refused `overloaded`; a pro run sent into that flood is still accepted and its first delta
 * arrives soon, because free runs never take the places of pro runs and workers take pro runs first.
 */
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const names = { streamPrefix: `T${id}_`, subjectPrefix: `t${id}.` };
const queueMax = 20;
const runMs = 300;
const floodUsers = 40;
/** Generous: the pro run waits for one of two worker slots to free (≤ 300 ms) plus bus hops. */
const firstDeltaBoundMs = 2000;

let gatewayNc: NatsConnection;
let workerNc: NatsConnection;
let workerQueue: RunQueue;
let gw: Harness;

before(async () => {
  const options = { ...defaultRunQueueOptions, queueMax, ...names };
  gatewayNc = await connectNats({ natsUrl }, `overload-gateway-${id}`);
  workerNc = await connectNats({ natsUrl }, `overload-worker-${id}`);
  const gatewayQueue = await createNatsRunQueue(gatewayNc, options);
  workerQueue = await createNatsRunQueue(workerNc, options);
  workerQueue.consume(
    async (job) => {
      await job.emit({ type: "agent.delta", text: `${job.request.tier}:` });
      // The run's work: it holds a worker slot this long.
      await pause(runMs);
      await job.emit({
        type: "agent.done",
        stopReason: "end_turn",
        usage: { inputTokens: 1, outputTokens: 1 },
      });
      await job.ack();
    },
    { concurrency: 2 },
  );
  gw = await startGateway({ agentQueueMax: queueMax }, { runQueue: gatewayQueue });
});

after(async () => {
  await gw?.close();
  await workerQueue?.close();
  const jsm = await jetstreamManager(gatewayNc);
  for (const stream of runNames(names.streamPrefix, names.subjectPrefix).streams) {
    await jsm.streams.delete(stream).catch(() => false);
  }
  await Promise.all([gatewayNc.close(), workerNc.close()]);
});

/** One free run per client, all sent at once (against a capacity of about 7 runs/s). */
function sendFlood(clients: TestClient[], runId: string) {
  for (const client of clients) {
    client.send({ type: "agent.run", id: runId, agent: "supportAgent", input: "hi" });
  }
}

const firstAnswer = (client: TestClient, runId: string, timeoutMs = 5000) =>
  client.take((f) => f.id === runId && (f.type === "agent.accepted" || f.type === "error"), timeoutMs);

describe("overload: free runs are refused first, pro runs are served", () => {
  test("under a flood of free-tier runs a pro run is accepted and its first delta comes within the bound", async () => {
    const flood = await Promise.all(
      Array.from({ length: floodUsers }, (_, i) => TestClient.connect(gw.wsUrl, tokenFor(`flood-${i}`))),
    );
    const pro = await TestClient.connect(gw.wsUrl, tokenFor("pam", { tier: "pro" }));
    sendFlood(flood, "f");
    const answers: Frame[] = await Promise.all(flood.map((client) => firstAnswer(client, "f")));

    const sentAt = performance.now();
    pro.send({ type: "agent.run", id: "p", agent: "supportAgent", input: "hi" });
    const proAnswer = await firstAnswer(pro, "p");
    const proDelta = await pro.take((f) => f.id === "p" && f.type === "agent.delta", firstDeltaBoundMs);
    const firstDeltaMs = performance.now() - sentAt;

    const refused = answers.filter((f) => f.type === "error");
    const accepted = answers.filter((f) => f.type === "agent.accepted");
    assert.ok(
      refused.length >= floodUsers - queueMax,
      `${refused.length} of ${floodUsers} free runs refused`,
    );
    for (const frame of refused) {
      assert.deepEqual([frame.code, frame.retryable], ["overloaded", true]);
      assert.ok(frame.retryAfterMs > 0);
    }
    // The free share of the queue (all but a tenth), plus the few a worker finished meanwhile.
    assert.ok(accepted.length >= queueMax - queueMax / 10 - 2, `${accepted.length} free runs accepted`);

    assert.equal(proAnswer.type, "agent.accepted");
    assert.equal(proDelta.text, "pro:");
    assert.ok(firstDeltaMs < firstDeltaBoundMs, `pro first delta after ${Math.round(firstDeltaMs)} ms`);

    // A pro run waits only for pro runs; a free run for every run not yet taken by a worker.
    assert.equal(proAnswer.queuedAhead, 0);
    const ahead = accepted.map((f) => f.queuedAhead as number);
    assert.ok(
      ahead.every((n) => Number.isInteger(n) && n >= 0 && n < queueMax),
      `queuedAhead ${ahead}`,
    );
    assert.ok(Math.max(...ahead) >= queueMax / 2, `the deepest free run saw ${Math.max(...ahead)} ahead`);

    for (const client of [...flood, pro]) client.close();
  });

  test("over HTTP a free run refused under overload is 503 overloaded with Retry-After", async () => {
    const flood = await Promise.all(
      Array.from({ length: floodUsers }, (_, i) => TestClient.connect(gw.wsUrl, tokenFor(`wave-${i}`))),
    );
    sendFlood(flood, "w");
    await Promise.all(flood.map((client) => firstAnswer(client, "w")));
    // A few HTTP runs of other free users at once: the queue's estimate may lag by a run or two.
    const responses = await Promise.all(
      ["hank", "hope", "hugh", "hera", "hans"].map((user) =>
        gw.app.inject({
          method: "POST",
          url: "/api/agents/supportAgent/runs",
          headers: { authorization: `Bearer ${tokenFor(user)}` },
          payload: { input: "hi" },
        }),
      ),
    );
    const refused = responses.filter((r) => r.statusCode !== 200);
    assert.ok(refused.length >= 3, `${refused.length} of 5 HTTP runs refused`);
    for (const response of refused) {
      assert.equal(response.statusCode, 503);
      assert.ok(Number(response.headers["retry-after"]) >= 1);
      assert.equal(response.json().error.code, "overloaded");
    }
    for (const client of flood) client.close();
  });
});
