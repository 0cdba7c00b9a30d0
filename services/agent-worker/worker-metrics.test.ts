import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { createMemoryRunQueue } from "../../shared/bus/run-queue/memory-run-queue.js";
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

const platform = await createTestPlatform();
after(() => platform.close());

function submit(runQueue: RunQueue, agent: AgentName, tier: AgentRunRequest["tier"]) {
  return runQueue.submit({
    v: 1,
    requestId: randomUUID(),
    clientId: randomUUID(),
    userId: "metrics-user",
    tier,
    agent,
    input: "hold on",
    submittedAt: Date.now(),
  });
}

test("a worker whose every slot is busy reads agent_utilization 1, its waiting runs in queue_length, and 0 once released", async () => {
  const gated = createGatedProvider();
  const runQueue = createMemoryRunQueue();
  const worker = createWorker({
    config: {
      workerConcurrency: 2,
      coalesceMs: 0,
      modelMaxSteps: 2,
      agentAckWaitMs: 10_000,
      agentMaxDeliver: 3,
      agentConfirmTimeoutMs: 30_000,
    },
    runQueue,
    pool: createAgentPool({ anthropicModel: "claude-sonnet-5-5" }),
    provider: gated.provider,
    services: platform.services,
    logger: createLogger({ logLevel: "silent" }),
  });
  const metrics = createServiceMetrics("agent-worker", { processMetrics: false });
  registerWorkerMetrics(metrics.registry, { slots: 2, busy: worker.busy, queue: runQueue.stats });
  const scrape = () => metrics.registry.metrics();
  worker.start();
  try {
    await submit(runQueue, "eplScoutAgent", "pro");
    await submit(runQueue, "walletAgent", "free");
    await submit(runQueue, "walletAgent", "free");
    await until(() => gated.waiting === 2, 5_000, "both slots to hold a run");

    const text = await scrape();
    const at = (name: string, labels: Record<string, string>) =>
      sampleValue(text, name, { service: "agent-worker", ...labels });
    assert.equal(at("agent_slots", { agent: "all" }), 2);
    assert.equal(at("agent_slots", { agent: "walletAgent" }), 2, "any agent may use the whole pool");
    assert.equal(at("agent_slots_busy", { agent: "all" }), 2);
    assert.equal(at("agent_utilization", { agent: "all" }), 1);
    assert.equal(at("agent_utilization", { agent: "eplScoutAgent" }), 0.5);
    assert.equal(at("agent_utilization", { agent: "walletAgent" }), 0.5);
    assert.equal(at("agent_utilization", { agent: "supportAgent" }), 0);
    assert.equal(at("queue_length", { agent: "walletAgent", tier: "free" }), 1, "the third run waits");
    assert.equal(at("queue_length", { agent: "eplScoutAgent", tier: "pro" }), 0);
    assert.equal(sampleValue(text, "jetstream_stream_bytes"), undefined, "no streams in one process");

    gated.open();
    await until(
      async () => sampleValue(await scrape(), "agent_slots_busy", { agent: "all" }) === 0,
      5_000,
      "every run to finish",
    );
    const idle = await scrape();
    assert.equal(sampleValue(idle, "agent_utilization", { agent: "all" }), 0);
    assert.equal(sampleValue(idle, "queue_length", { agent: "walletAgent", tier: "free" }), 0);
  } finally {
    gated.open();
    await worker.stop();
    await runQueue.close();
  }
});
