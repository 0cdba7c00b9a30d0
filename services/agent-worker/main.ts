import { jetstreamManager } from "@nats-io/jetstream";
import { liveStreamOptions } from "../../shared/bus/live-stream/live-stream-options.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { createNatsRunQueue } from "../../shared/bus/run-queue/nats-run-queue.js";
import { createNatsRunStats } from "../../shared/bus/run-queue/nats-run-stats.js";
import { runNames } from "../../shared/bus/run-queue/nats-run-streams.js";
import { runQueueOptions } from "../../shared/bus/run-queue/run-queue-defaults.js";
import { loadConfig } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { createLogger } from "../../shared/logger.js";
import { startDependencies } from "../../shared/ops/start-dependencies.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { createPostgresAgentRecords } from "../../shared/store/agent-records-database.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { createExchangeClient } from "../exchange/client.js";
import { createAgentPool } from "./agents/pool.js";
import { createModelProvider } from "./provider.js";
import { createToolServices } from "./tool-services.js";
import { createWorker } from "./worker.js";
import { registerWorkerMetrics } from "./worker-metrics.js";

/**
 * The agent worker as its own process (distributed mode): a competing consumer of `AGENT_REQ`
 * running the shared pool of eleven agents, whose tools reach the exchange over NATS
 * request/reply and keep the trade journal and alerts in PostgreSQL (DATABASE_URL). SIGTERM/SIGINT
 * drain: no new runs are taken, the running ones finish and are acked — those still going after
 * WORKER_DRAIN_MS are handed back to the queue for another worker — then the bus connection
 * and the database close. A run cut off by a hard
 * kill is redelivered to another worker after `AGENT_ACK_WAIT_MS`. A dependency missing at start
 * is waited for (one log line naming it), `/readyz` of the ops listener (METRICS_HOST:METRICS_PORT)
 * naming it meanwhile; an unexpected exception exits (crash-only).
 */
const config = loadConfig();
// Before any port is built: each decides once, when built, whether to trace.
const tracing = startTracing({ service: "agent-worker" });
const logger = createLogger(config, { service: "agent-worker" });
exitOnUnexpectedError(logger);
const records = createPostgresAgentRecords(config.databaseUrl, { maxConnections: 4 });
const { nc, ops, metrics, startDraining } = await startDependencies(config, logger, {
  service: "agent-worker",
  database: records,
});
const runQueue = await createNatsRunQueue(nc, {
  ...runQueueOptions(config),
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
  replicas: config.natsReplicas,
});
const epl = loadDataset();
// Agents trade through the exchange service; the journal and alerts are rows of the same database.
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Live match state for the live-monitor agent's tools; matches no feed plays read from the results.
const live = await createNatsLiveStream(nc, liveStreamOptions(config));
const worker = createWorker({
  config,
  runQueue,
  pool: createAgentPool(config),
  provider: createModelProvider(config, epl),
  services: createToolServices({ epl, exchange: createExchangeClient(rpc), records, live, config }),
  logger,
  onRunError: (code) => metrics.errors.inc({ code, transport: "jetstream" }),
});
registerWorkerMetrics(metrics.registry, {
  slots: config.workerConcurrency,
  busy: worker.busy,
  queue: createNatsRunStats(await jetstreamManager(nc), runNames(config.streamPrefix, config.subjectPrefix), {
    streamPrefix: config.streamPrefix,
  }),
});
worker.start();
logger.info(
  {
    concurrency: config.workerConcurrency,
    model: config.anthropicApiKey ? config.anthropicModel : "offline",
  },
  "agent worker started",
);

// Not ready from the first moment of the drain; the ops listener (probes, /metrics) stays up
// until the end, so the drain can be watched.
stopOnSignal(logger, async () => {
  startDraining();
  await worker.stop({ handOverAfterMs: config.workerDrainMs });
  await runQueue.close();
  await rpc.close();
  await live.close();
  await nc.drain();
  await records.close();
  await ops.close();
  await tracing.shutdown();
});
