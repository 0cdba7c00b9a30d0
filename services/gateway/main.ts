import { connectNats, trackNatsHealth } from "../../shared/bus/nats-connection.js";
import { createNatsRunQueue } from "../../shared/bus/nats-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue-defaults.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { buildApp } from "./app.js";

/**
 * The gateway as its own process (distributed mode): NATS for agent runs, listening on
 * HOST/PORT. SIGTERM/SIGINT drain: new connections are refused, every socket is closed with 1012
 * (clients reconnect elsewhere and resume), then the bus connection closes.
 */
const config = loadConfig();
const logger = createLogger(config);
const nc = await connectNats(config, "gateway");
const natsHealth = trackNatsHealth(nc);
const runQueue = await createNatsRunQueue(nc, {
  ...runQueueOptions(config),
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
});
const app = await buildApp(config, {
  runQueue,
  logger,
  readiness: async () => ({ nats: natsHealth.connected }),
});
await app.listen({ host: config.host, port: config.port });

let draining = false;
const drain = async (signal: string) => {
  if (draining) return;
  draining = true;
  app.log.info({ signal }, "draining");
  try {
    await app.close();
    await runQueue.close();
    await nc.drain();
    app.log.info("drained");
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, "drain failed");
    process.exit(1);
  }
};
process.once("SIGTERM", () => void drain("SIGTERM"));
process.once("SIGINT", () => void drain("SIGINT"));
