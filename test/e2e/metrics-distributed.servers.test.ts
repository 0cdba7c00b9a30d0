import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseSamples, type Sample } from "../../shared/metrics/prometheus-text.js";
import {
  createDeployment,
  type Deployment,
  type ServiceName,
  type ServiceProcess,
} from "../support/deployment.js";

/**
 * Every process of a distributed deployment serves `/metrics` on its operator's listener, each
 * figure labelled with its `service` (docs/architecture.md, "Metrics"): the process's own, its
 * dependencies' state and the service's contract figures.
 */
describe("metrics of every service (distributed)", () => {
  let deployment: Deployment;
  const processes = new Map<ServiceName, ServiceProcess>();

  before(async () => {
    deployment = createDeployment({}, { database: true, readyTimeoutMs: 40_000 });
    for (const name of ["exchange", "agent-worker", "market-feed", "gateway"] as const)
      processes.set(name, await deployment.start(name));
  });
  after(() => deployment.stop());

  async function scrape(name: ServiceName): Promise<Sample[]> {
    const response = await fetch(`http://127.0.0.1:${processes.get(name)!.metricsPort}/metrics`);
    assert.equal(response.status, 200);
    return parseSamples(await response.text());
  }

  const has = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

  test("each process labels every figure with its service and reports its dependencies and event-loop lag", async () => {
    const dependencies: Record<ServiceName, string[]> = {
      gateway: ["nats", "redis"],
      "agent-worker": ["nats", "postgres"],
      exchange: ["nats", "postgres", "redis"],
      "market-feed": ["nats", "postgres"],
    };
    for (const [service, used] of Object.entries(dependencies) as [ServiceName, string[]][]) {
      const samples = await scrape(service);
      const unlabelled = samples.filter((s) => s.labels.service !== service).map((s) => s.name);
      assert.deepEqual(unlabelled, [], `${service}: every sample carries service="${service}"`);
      assert.ok(has(samples, "nodejs_eventloop_lag_p99_seconds"), `${service}: event-loop lag`);
      for (const dependency of used)
        assert.ok(has(samples, "dependency_up", { dependency }), `${service}: dependency_up{${dependency}}`);
    }
  });

  test("the worker reports its slots, utilization and each lane's queue length; the gateway its sockets", async () => {
    const worker = await scrape("agent-worker");
    assert.ok(has(worker, "agent_slots", { agent: "all" }));
    assert.ok(has(worker, "agent_utilization", { agent: "all" }));
    const lanes = worker.filter((s) => s.name === "queue_length");
    assert.equal(lanes.length, 22, "11 agents × 2 tiers");
    assert.ok(has(worker, "jetstream_stream_bytes", { stream: `${deployment.env.STREAM_PREFIX}AGENT_REQ` }));

    const gateway = await scrape("gateway");
    for (const name of ["ws_connections", "active_users"]) assert.ok(has(gateway, name), name);
  });
});
