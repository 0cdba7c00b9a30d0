import { Gauge, type Registry } from "prom-client";
import type { RunQueueStats } from "../../shared/bus/run-queue/run-queue-stats.js";
import { agentNames } from "../../shared/protocol/agents.js";

/** The label of the figures for the worker's whole pool. */
const wholePool = "all";

export interface WorkerMetricsDeps {
  /** The worker's slots (`workerConcurrency`): runs it takes at once, of any agent. */
  slots: number;
  /** Slots held now, by agent (the worker's `busy`). */
  busy: ReadonlyMap<string, number>;
  queue: RunQueueStats;
}

/**
 * The agent worker's figures (docs/architecture.md, "Metrics"), all read when scraped, so a run
 * costs nothing more. A worker's slots are one pool every agent draws from: `agent_slots` of an
 * agent is the whole pool (it may take every slot), `agent_slots_busy` the slots its runs hold,
 * and `agent_utilization` their ratio — the agents' utilizations add up to the `all` one.
 * `queue_length` is the runs waiting per agent and tier, from the queue itself (JetStream's
 * consumers in distributed mode: each worker reports the same counts).
 */
export function registerWorkerMetrics(registry: Registry, deps: WorkerMetricsDeps): void {
  const { slots, busy, queue } = deps;
  const perAgent = (read: (busyNow: number) => number) => (gauge: Gauge<"agent">) => {
    let total = 0;
    for (const agent of agentNames) {
      const held = busy.get(agent) ?? 0;
      total += held;
      gauge.set({ agent }, read(held));
    }
    gauge.set({ agent: wholePool }, read(total));
  };
  const gauge = (name: string, help: string, collect: (gauge: Gauge<"agent">) => void) =>
    new Gauge({
      name,
      help,
      labelNames: ["agent"] as const,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
  gauge(
    "agent_slots",
    "Slots of this worker's pool an agent may use (all of them: the pool is shared); agent=all: the pool.",
    perAgent(() => slots),
  );
  gauge(
    "agent_slots_busy",
    "Slots of this worker held by an agent's runs; agent=all: by every run.",
    perAgent((held) => held),
  );
  gauge(
    "agent_utilization",
    "Busy slots / slots of this worker, 0..1, by agent; agent=all: the whole pool.",
    perAgent((held) => (slots > 0 ? held / slots : 0)),
  );
  new Gauge({
    name: "queue_length",
    help: "Agent runs waiting for a worker (JetStream: the consumer's num_pending), by agent and tier.",
    labelNames: ["agent", "tier"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const lane of await queue.lanes().catch(() => [])) {
        this.set({ agent: lane.agent, tier: lane.tier }, lane.waiting);
      }
    },
  });
  // One reading (cached by the stats) serves both stream gauges; the second waits on the first's.
  new Gauge({
    name: "jetstream_stream_bytes",
    help: "Bytes stored by a JetStream stream of the deployment.",
    labelNames: ["stream"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const usage of await queue.streams().catch(() => []))
        this.set({ stream: usage.stream }, usage.bytes);
    },
  });
  new Gauge({
    name: "jetstream_stream_max_bytes",
    help: "The byte bound of a JetStream stream of the deployment (streams with one only).",
    labelNames: ["stream"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const usage of await queue.streams().catch(() => []))
        if (usage.maxBytes !== undefined) this.set({ stream: usage.stream }, usage.maxBytes);
    },
  });
}
