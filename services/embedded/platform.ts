import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createLivePublisher } from "../../shared/bus/live-publisher.js";
import { createMemoryLiveStream } from "../../shared/bus/memory-live-stream.js";
import { createMemoryRunQueue } from "../../shared/bus/memory-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue-defaults.js";
import { createMemoryCache } from "../../shared/cache/memory-cache.js";
import type { Config } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import type { Logger } from "../../shared/logger.js";
import { createPgliteStore } from "../../shared/store/pglite-store.js";
import { createAgentPool } from "../agent-worker/agents/pool.js";
import { createModelProvider } from "../agent-worker/provider.js";
import { createToolServices } from "../agent-worker/tool-services.js";
import { createWorker } from "../agent-worker/worker.js";
import { createExchange } from "../exchange/exchange.js";
import { exchangeEventSink } from "../exchange/live-events.js";
import { buildApp } from "../gateway/app.js";
import { createGatewayMetrics, type GatewayMetrics } from "../gateway/metrics.js";
import { createMarketFeed } from "../market-feed/market-feed.js";
import { createMemoryLeaseTable } from "../market-feed/memory-leader-lease.js";

export interface Platform {
  app: FastifyInstance;
  /** The figures the caller serves on its metrics listener (`shared/ops/ops-server.ts`). */
  metrics: GatewayMetrics;
  /** Drains sockets (1012), stops the match clock, finishes agent runs, then closes the database. */
  close(): Promise<void>;
}

/**
 * The whole platform in one process (embedded mode): the same services as the distributed
 * deployment — gateway, agent worker, exchange, market feed — joined by the in-process adapter of
 * every port: the memory run queue and LIVE stream instead of JetStream, PGlite in `dataDir`
 * instead of PostgreSQL, limits and caches in memory. Nothing listens until the caller does.
 */
export async function buildPlatform(config: Config, logger: Logger): Promise<Platform> {
  const epl = loadDataset();
  const model = fitModel(epl);
  const store = createPgliteStore(config.dataDir === "memory" ? "memory" : join(config.dataDir, "pglite"));
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ applied }, "migrations applied");

  const live = createMemoryLiveStream({
    maxAgeMs: config.liveMaxAgeMs,
    maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
  });
  const publisher = createLivePublisher(live, {
    alerts: createAlertBook(store),
    onAlertError: (err, topic) => logger.error({ err, topic }, "alert delivery failed"),
  });
  const cache = createMemoryCache();
  const exchange = createExchange({
    store,
    config,
    dataset: epl,
    publish: exchangeEventSink({
      publisher,
      cache,
      onError: (err, event, step) => logger.error({ err, event }, `${step} failed`),
    }),
  });
  logger.info(await exchange.openMarkets({}), "markets ready");

  const feed = createMarketFeed({
    config,
    live,
    publisher,
    exchange,
    dataset: epl,
    model,
    lease: createMemoryLeaseTable(config.feedLeaseMs).lease(),
    onError: (err, context) => logger.error({ err, ...context }, "market feed fault"),
  });

  const runQueue = createMemoryRunQueue(runQueueOptions(config));
  const worker = createWorker({
    config,
    runQueue,
    pool: createAgentPool(config),
    provider: createModelProvider(config, epl),
    services: createToolServices({ epl, model, exchange, records: store, live, config }),
    logger: logger.child({ service: "agent-worker" }),
  });

  const metrics = createGatewayMetrics();
  const app = await buildApp(config, { runQueue, logger, exchange, live, cache, metrics, mode: "embedded" });
  worker.start();
  if (config.feedEnabled) feed.start();

  return {
    app,
    metrics,
    async close() {
      await app.close();
      await feed.stop();
      await worker.stop();
      await runQueue.close();
      await live.close();
      await store.close();
    },
  };
}
