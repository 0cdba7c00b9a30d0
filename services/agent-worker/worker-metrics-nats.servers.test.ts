import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRunQueue } from "../../shared/bus/run-queue/nats-run-queue.js";
import { createNatsRunStats } from "../../shared/bus/run-queue/nats-run-stats.js";
import { runNames } from "../../shared/bus/run-queue/nats-run-streams.js";
import type { AgentRunRequest, RunQueue } from "../../shared/bus/run-queue/run-queue.js";
import { createLogger } from "../../shared/logger.js";
import { sampleValue } from "../../shared/metrics/prometheus-text.js";
import { createServiceMetrics } from "../../shared/metrics/service-metrics.js";
import type { AgentName } from "../../shared/protocol/agents.js";
import { until } from "../../test/support/polling.js";
import { createAgentPool } from "./agents/pool.js";
import { createGatedProvider } from "./testing/gated-provider.js";
import { createTestPlatform } from "./testing/test-platform.js";
import { createWorker } from "./worker.js";
import { registerWorkerMetrics } from "./worker-metrics.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const streamPrefix = `T${id}_`;
const subjectPrefix = `t${id}.`;
const names = runNames(streamPrefix, subjectPrefix);
const options = {
  dedupeWindowMs: 60_000,
  ackWaitMs: 5_000,
  maxDeliver: 3,
  queueMax: 100,
  outMaxAgeMs: 60_000,
  streamPrefix,
  subjectPrefix,
};

const platform = await createTestPlatform();
const gatewayNc = await connectNats({ natsUrl }, `metrics-gateway-${id}`);
const workerNc = await connectNats({ natsUrl }, `metrics-worker-${id}`);
const gatewayQueue = await createNatsRunQueue(gatewayNc, options);
const workerQueue = await createNatsRunQueue(workerNc, options);
after(async () => {
  await gatewayQueue.close();
  await workerQueue.close();
  const jsm = await jetstreamManager(gatewayNc);
  for (const stream of names.streams) await jsm.streams.delete(stream).catch(() => false);
  await Promise.all([gatewayNc.close(), workerNc.close()]);
  await platform.close();
});

function submit(agent: AgentName, tier: AgentRunRequest["tier"]) {
  return gatewayQueue.submit({
    v: 1,
    requestId: randomUUID(),
    clientId: randomUUID(),
    userId: "metrics-user",
    tier,
    agent,
    input: "how are you",
    submittedAt: Date.now(),
  });
}

function startWorker(runQueue: RunQueue) {
  const gated = createGatedProvider();
  gated.open();
  const worker = createWorker({
    config: {
      workerConcurrency: 4,
      coalesceMs: 0,
      modelMaxSteps: 2,
      agentAckWaitMs: 5_000,
      agentMaxDeliver: 3,
      agentConfirmTimeoutMs: 30_000,
    },
    runQueue,
    pool: createAgentPool({ anthropicModel: "claude-sonnet-5-5" }),
    provider: gated.provider,
    services: platform.services,
    logger: createLogger({ logLevel: "silent" }),
  });
  worker.start();
  return worker;
}

test("queue_length, read from the JetStream consumers, rises while no worker takes runs and falls when one returns", async () => {
  const metrics = createServiceMetrics("agent-worker", { processMetrics: false });
  const stopped = startWorker(workerQueue);
  registerWorkerMetrics(metrics.registry, {
    slots: 4,
    busy: stopped.busy,
    // Read afresh at each scrape here; a deployment reads at most every few seconds.
    queue: createNatsRunStats(await jetstreamManager(workerNc), names, { streamPrefix, maxAgeMs: 0 }),
  });
  const queueLength = async (agent: AgentName, tier: AgentRunRequest["tier"]) =>
    sampleValue(await metrics.registry.metrics(), "queue_length", { service: "agent-worker", agent, tier });
  await stopped.stop();

  assert.equal(await queueLength("eplScoutAgent", "pro"), 0);
  for (let i = 0; i < 3; i++) await submit("eplScoutAgent", "pro");
  await submit("walletAgent", "free");
  await submit("walletAgent", "free");
  const text = await metrics.registry.metrics();
  assert.equal(sampleValue(text, "queue_length", { agent: "eplScoutAgent", tier: "pro" }), 3);
  assert.equal(sampleValue(text, "queue_length", { agent: "walletAgent", tier: "free" }), 2);
  assert.equal(sampleValue(text, "queue_length", { agent: "supportAgent", tier: "pro" }), 0);
  assert.ok(
    (sampleValue(text, "jetstream_stream_bytes", { stream: names.reqStream("pro") }) ?? 0) > 0,
    "the pro stream holds the waiting runs' bytes",
  );
  assert.equal(
    sampleValue(text, "jetstream_stream_max_bytes", { stream: names.reqStream("pro") }),
    undefined,
    "a stream bounded by count, not bytes, has no byte bound to report",
  );

  const returned = startWorker(workerQueue);
  try {
    await until(
      async () =>
        (await queueLength("eplScoutAgent", "pro")) === 0 && (await queueLength("walletAgent", "free")) === 0,
      15_000,
      "the returned worker to take every waiting run",
    );
  } finally {
    await returned.stop();
  }
});

test("scrapes within the reading's age share one reading: JetStream is asked at most that often", async () => {
  const stats = createNatsRunStats(await jetstreamManager(workerNc), names, {
    streamPrefix,
    maxAgeMs: 60_000,
  });
  const waiting = async () =>
    (await stats.lanes()).find((lane) => lane.agent === "supportAgent" && lane.tier === "pro")?.waiting;
  const before = await waiting();
  await submit("supportAgent", "pro");
  assert.equal(await waiting(), before, "the second scrape reuses the first reading");
  const fresh = createNatsRunStats(await jetstreamManager(workerNc), names, { streamPrefix, maxAgeMs: 0 });
  assert.equal(
    (await fresh.lanes()).find((lane) => lane.agent === "supportAgent" && lane.tier === "pro")?.waiting,
    (before ?? 0) + 1,
  );
});
