import { connectNats } from "../../shared/bus/nats-connection.js";
import { createNatsRunQueue } from "../../shared/bus/nats-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue-defaults.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { createLogger } from "../../shared/logger.js";
import { createAgentPool } from "./agents/pool.js";
import { createModelProvider } from "./provider.js";
import { createWorker } from "./worker.js";

/**
 * The agent worker as its own process (distributed mode): a competing consumer of `AGENT_REQ`
 * running the shared pool of eleven agents. SIGTERM/SIGINT drain: no new runs are taken, the
 * running ones finish and are acked, then the bus connection closes. A run cut off by a hard
 * kill is redelivered to another worker after `AGENT_ACK_WAIT_MS`.
 */
const config = loadConfig();
const logger = createLogger(config, { service: "agent-worker" });
const nc = await connectNats(config, "agent-worker");
const runQueue = await createNatsRunQueue(nc, {
  ...runQueueOptions(config),
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
});
const epl = loadDataset();
const worker = createWorker({
  config,
  runQueue,
  pool: createAgentPool(config),
  provider: createModelProvider(config, epl),
  services: { epl },
  logger,
});
worker.start();
logger.info(
  {
    concurrency: config.workerConcurrency,
    model: config.anthropicApiKey ? config.anthropicModel : "offline",
  },
  "agent worker started",
);

let draining = false;
const drain = async (signal: string) => {
  if (draining) return;
  draining = true;
  logger.info({ signal, active: worker.active }, "draining");
  try {
    await worker.stop();
    await runQueue.close();
    await nc.drain();
    logger.info("drained");
    process.exit(0);
  } catch (err) {
    logger.error({ err }, "drain failed");
    process.exit(1);
  }
};
process.once("SIGTERM", () => void drain("SIGTERM"));
process.once("SIGINT", () => void drain("SIGINT"));
