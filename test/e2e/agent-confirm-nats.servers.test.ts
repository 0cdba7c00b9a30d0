import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { WebSocket } from "ws";
import { createOfflineProvider } from "../../services/agent-worker/agent/offline-provider.js";
import { createAgentPool } from "../../services/agent-worker/agents/pool.js";
import { createTestPlatform, type TestPlatform } from "../../services/agent-worker/testing/test-platform.js";
import { createWorker, type Worker } from "../../services/agent-worker/worker.js";
import { type Harness, startGateway, tokenFor } from "../../services/gateway/testing/gateway-harness.js";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRunQueue } from "../../shared/bus/run-queue/nats-run-queue.js";
import { runNames } from "../../shared/bus/run-queue/nats-run-streams.js";
import type { RunQueue } from "../../shared/bus/run-queue/run-queue.js";
import type { AgentStreamFrame } from "../../shared/client/mod.js";
import { connect } from "../../shared/client/mod.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";

/**
 * Issue 14: an agent's trade asks for confirmation (docs/protocol.md "Agent runs"). A gateway and
 * an agent worker, each on its own connection to the real NATS server, the offline model and the
 * real exchange: the `agent.confirm` frame travels worker → JetStream → gateway → socket, and the
 * `agent.confirm.reply` socket → gateway → NATS → worker.
 */
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const options = {
  dedupeWindowMs: 60_000,
  ackWaitMs: 5_000,
  maxDeliver: 3,
  queueMax: 100,
  outMaxAgeMs: 60_000,
  streamPrefix: `C${id}_`,
  subjectPrefix: `c${id}.`,
};
// The data as it stood before Arsenal v Chelsea (1 March 2026), so that fixture can be traded.
const arsenalChelsea = "2025-26-arsenal-chelsea";
const confirmTimeoutMs = 1500;

let platform: TestPlatform;
let gatewayNc: NatsConnection;
let workerNc: NatsConnection;
let workerQueue: RunQueue;
let worker: Worker;
let gateway: Harness;

before(async () => {
  platform = await createTestPlatform({ asOf: "2026-02-25T00:00:00Z", openMatches: [arsenalChelsea] });
  gatewayNc = await connectNats({ natsUrl }, `confirm-gateway-${id}`);
  workerNc = await connectNats({ natsUrl }, `confirm-worker-${id}`);
  workerQueue = await createNatsRunQueue(workerNc, options);
  const config = loadConfig(
    {},
    { coalesceMs: 0, workerConcurrency: 4, agentConfirmTimeoutMs: confirmTimeoutMs },
  );
  worker = createWorker({
    config,
    runQueue: workerQueue,
    pool: createAgentPool(config),
    provider: createOfflineProvider({ dataset: platform.services.epl, tokenDelayMs: 0 }),
    services: platform.services,
    logger: createLogger({ logLevel: "silent" }),
  });
  worker.start();
  gateway = await startGateway({}, { runQueue: await createNatsRunQueue(gatewayNc, options) });
});

after(async () => {
  await gateway?.close();
  await worker?.stop();
  await workerQueue?.close();
  const jsm = await jetstreamManager(gatewayNc);
  for (const stream of runNames(options.streamPrefix, options.subjectPrefix).streams)
    await jsm.streams.delete(stream).catch(() => false);
  await Promise.all([gatewayNc?.close(), workerNc?.close()]);
  await platform?.close();
});

const instruction = "buy 10 shares of Arsenal to beat Chelsea";

/** Starts the trading agent on `instruction`; `confirmTrades` as given. */
async function ask(userId: string, runId: string, confirmTrades?: boolean) {
  const client = await TestClient.connect(gateway.wsUrl, tokenFor(userId, { tier: "pro" }));
  client.send({
    type: "agent.run",
    id: runId,
    intent: "trade",
    input: instruction,
    ...(confirmTrades === undefined ? {} : { confirmTrades }),
  });
  const accepted = await client.take((f) => f.id === runId && f.type === "agent.accepted", 10_000);
  return { client, requestId: accepted.requestId as string };
}

/** The run's frames up to its terminal one. */
async function rest(client: TestClient, runId: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (;;) {
    const frame = await client.take((f) => f.id === runId, 20_000);
    frames.push(frame);
    if (frame.type === "agent.done" || frame.type === "agent.error") return frames;
  }
}

const placeTrade = (frames: Frame[]) =>
  frames.find((f) => f.type === "agent.tool" && f.name === "placeTrade" && f.status !== "started");

describe("an agent's trade waits for the user's confirmation when the client opted in", () => {
  test("accepted: the confirm frame quotes the trade, and it fills at that quote", async () => {
    const { client, requestId } = await ask("confirm-yes", "run-yes", true);
    const confirm = await client.take((f) => f.id === "run-yes" && f.type === "agent.confirm", 20_000);
    assert.equal(confirm.requestId, requestId);
    assert.deepEqual(
      [confirm.marketId, confirm.outcome, confirm.side, confirm.shares, confirm.timeoutMs],
      [`${arsenalChelsea}.1x2`, "home", "buy", 10, confirmTimeoutMs],
    );
    assert.equal(confirm.title.includes("Arsenal"), true, confirm.title);
    assert.ok(confirm.cost > 0 && confirm.avgPrice > 0 && confirm.avgPrice < 1, JSON.stringify(confirm));
    assert.deepEqual(
      await platform.exchange.getTrades({ userId: "confirm-yes" }),
      [],
      "nothing before the answer",
    );

    client.send({
      type: "agent.confirm.reply",
      id: "a1",
      requestId,
      confirmId: confirm.confirmId,
      accept: true,
    });
    const frames = await rest(client, "run-yes");
    assert.equal(placeTrade(frames)?.status, "finished", JSON.stringify(placeTrade(frames)));
    const [trade] = await platform.exchange.getTrades({ userId: "confirm-yes" });
    assert.deepEqual([trade?.outcome, trade?.shares, trade?.cost], ["home", 10, confirm.cost]);
    assert.equal(placeTrade(frames)?.output.trade.tradeId, trade?.tradeId);
    client.close();
  });

  test("declined: the tool fails saying so and nothing trades", async () => {
    const { client, requestId } = await ask("confirm-no", "run-no", true);
    const confirm = await client.take((f) => f.id === "run-no" && f.type === "agent.confirm", 20_000);
    client.send({
      type: "agent.confirm.reply",
      id: "a2",
      requestId,
      confirmId: confirm.confirmId,
      accept: false,
    });
    const frames = await rest(client, "run-no");
    assert.equal(frames.at(-1)?.type, "agent.done");
    assert.equal(placeTrade(frames)?.status, "failed");
    assert.match(placeTrade(frames)?.output.message, /declined/);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "confirm-no" }), []);
    client.close();
  });

  test("unanswered: the trade is declined once the timeout passes, and the run ends", async () => {
    const { client } = await ask("confirm-silent", "run-silent", true);
    await client.take((f) => f.id === "run-silent" && f.type === "agent.confirm", 20_000);
    const frames = await rest(client, "run-silent");
    assert.equal(frames.at(-1)?.type, "agent.done");
    assert.match(placeTrade(frames)?.output.message, /did not confirm it in time/);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "confirm-silent" }), []);
    client.close();
  });

  test("another user's answer is refused as not_found and does not place the trade", async () => {
    const { client, requestId } = await ask("confirm-owner", "run-owner", true);
    const confirm = await client.take((f) => f.id === "run-owner" && f.type === "agent.confirm", 20_000);
    const intruder = await TestClient.connect(gateway.wsUrl, tokenFor("confirm-intruder"));
    intruder.send({
      type: "agent.confirm.reply",
      id: "x1",
      requestId,
      confirmId: confirm.confirmId,
      accept: true,
    });
    const refused = await intruder.take((f) => f.id === "x1");
    assert.deepEqual([refused.type, refused.code], ["error", "not_found"]);
    const frames = await rest(client, "run-owner");
    assert.match(placeTrade(frames)?.output.message, /did not confirm it in time/);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "confirm-owner" }), []);
    intruder.close();
    client.close();
  });

  test("a reply that breaks the schema is bad_request and the socket stays open", async () => {
    const client = await TestClient.connect(gateway.wsUrl, tokenFor("confirm-bad"));
    client.send({
      type: "agent.confirm.reply",
      id: "b1",
      requestId: "r",
      confirmId: "trade-1",
      accept: "yes",
    });
    const refused = await client.take((f) => f.id === "b1");
    assert.deepEqual([refused.type, refused.code], ["error", "bad_request"]);
    client.send({ type: "ping", id: "p1" });
    await client.take((f) => f.id === "p1" && f.type === "pong");
    client.close();
  });
});

test("a client that never opted in (a bot, k6) sees no agent.confirm: the trade is placed as asked", async () => {
  const { client } = await ask("confirm-bot", "run-bot");
  const frames = await rest(client, "run-bot");
  assert.equal(
    frames.some((f) => f.type === "agent.confirm"),
    false,
  );
  assert.equal(placeTrade(frames)?.status, "finished");
  assert.equal((await platform.exchange.getTrades({ userId: "confirm-bot" })).length, 1);
  client.close();
});

describe("the client library (shared/client/README.md) surfaces agent.confirm and answers it", () => {
  /** Runs `instruction` with `confirmTrades` through the library, answering its confirm with `accept`. */
  async function runAnswering(userId: string, accept: boolean) {
    const client = connect({ url: gateway.wsUrl, token: tokenFor(userId, { tier: "pro" }), WebSocket });
    try {
      const run = client.run({ intent: "trade" }, instruction, { confirmTrades: true });
      const frames: AgentStreamFrame[] = [];
      for await (const frame of run) {
        frames.push(frame);
        if (frame.type === "agent.confirm") assert.equal(run.confirm(frame.confirmId, accept), true);
      }
      return frames;
    } finally {
      client.close();
    }
  }

  test("run.confirm(…, true) places the confirmed trade at its quote", async () => {
    const frames = await runAnswering("confirm-lib-yes", true);
    const confirm = frames.find((f) => f.type === "agent.confirm");
    assert.ok(confirm?.type === "agent.confirm", "the run yields agent.confirm");
    assert.equal(frames.at(-1)?.type, "agent.done");
    assert.equal(placeTrade(frames as Frame[])?.status, "finished");
    const trades = await platform.exchange.getTrades({ userId: "confirm-lib-yes" });
    assert.deepEqual(
      trades.map((t) => [t.outcome, t.shares, t.cost]),
      [["home", 10, confirm.cost]],
    );
  });

  test("run.confirm(…, false) declines it: no trade, and the run ends", async () => {
    const frames = await runAnswering("confirm-lib-no", false);
    assert.ok(frames.some((f) => f.type === "agent.confirm"));
    assert.equal(frames.at(-1)?.type, "agent.done");
    // Declined by the answer, not by the timeout an unanswered confirm runs into.
    const message = placeTrade(frames as Frame[])?.output.message;
    assert.match(message, /declined/);
    assert.doesNotMatch(message, /in time/);
    assert.deepEqual(await platform.exchange.getTrades({ userId: "confirm-lib-no" }), []);
  });
});
