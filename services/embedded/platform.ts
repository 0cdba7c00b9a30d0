import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createMemoryRunQueue } from "../../shared/bus/memory-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue-defaults.js";
import type { Config } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import type { Logger } from "../../shared/logger.js";
import { createPgliteStore } from "../../shared/store/pglite-store.js";
import { createAgentPool } from "../agent-worker/agents/pool.js";
import { createModelProvider } from "../agent-worker/provider.js";
import { createToolServices } from "../agent-worker/tool-services.js";
import { createWorker } from "../agent-worker/worker.js";
import { createExchange } from "../exchange/exchange.js";
import { buildApp } from "../gateway/app.js";

export interface Platform {
  app: FastifyInstance;
  /** Drains sockets (1012), finishes running agent runs, then closes the database. */
  close(): Promise<void>;
}

/**
 * The whole platform in one process (embedded mode): the same services as the distributed
 * deployment, joined by the in-process adapters of every port — the memory run queue instead of
 * JetStream, PGlite in `dataDir` instead of PostgreSQL. Nothing listens until the caller does.
 */
export async function buildPlatform(config: Config, logger: Logger): Promise<Platform> {
  const epl = loadDataset();
  const store = createPgliteStore(config.dataDir === "memory" ? "memory" : join(config.dataDir, "pglite"));
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ applied }, "migrations applied");

  const exchange = createExchange({ store, config, dataset: epl });
  const opened = await exchange.openMarkets({});
  logger.info(opened, "markets ready");

  const runQueue = createMemoryRunQueue(runQueueOptions(config));
  const worker = createWorker({
    config,
    runQueue,
    pool: createAgentPool(config),
    provider: createModelProvider(config, epl),
    services: createToolServices({ epl, exchange, records: store, config }),
    logger: logger.child({ service: "agent-worker" }),
  });
  worker.start();

  const app = await buildApp(config, { runQueue, logger });

  return {
    app,
    async close() {
      await app.close();
      await worker.stop();
      await runQueue.close();
      await store.close();
    },
  };
}
