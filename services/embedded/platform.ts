import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createLivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import { createMemoryLiveStream } from "../../shared/bus/live-stream/memory-live-stream.js";
import { createMemoryRunQueue } from "../../shared/bus/run-queue/memory-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue/run-queue-defaults.js";
import { createMemoryCache } from "../../shared/cache/memory-cache.js";
import type { Config } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import type { Logger } from "../../shared/logger.js";
import { createServiceMetrics } from "../../shared/metrics/service-metrics.js";
import {
  combineRegistries,
  createServiceRegistry,
  type MetricsSource,
} from "../../shared/metrics/service-registry.js";
import { createAgentPool } from "../agent-worker/agents/pool.js";
import { createModelProvider } from "../agent-worker/provider.js";
import { createToolServices } from "../agent-worker/tool-services.js";
import { createWorker } from "../agent-worker/worker.js";
import { registerWorkerMetrics } from "../agent-worker/worker-metrics.js";
import { createExchange } from "../exchange/exchange.js";
import { createExchangeMetrics, instrumentExchange } from "../exchange/exchange-metrics.js";
import { exchangeEventSink } from "../exchange/live-events.js";
import { createPgliteStore } from "../exchange/store/pglite-store.js";
import { buildApp } from "../gateway/app.js";
import { createGatewayMetrics, type GatewayMetrics } from "../gateway/metrics.js";
import { createMarketFeed } from "../market-feed/market-feed.js";
import { createMemoryLeaseTable } from "../market-feed/memory-leader-lease.js";

export interface Platform {
  app: FastifyInstance;
  /** The gateway's figures. */
  metrics: GatewayMetrics;
  /**
   * What the caller serves on its metrics listener (`shared/ops/ops-server.ts`): every service's
   * figures, each labelled with its `service` as in distributed mode, and the process's own
   * (event-loop lag, heap…) once, as `service="embedded"`.
   */
  scrape: MetricsSource;
  /**
   * Starts the match clock; `feedEnabled` starts it with the platform. Without it a caller starts
   * it when it wants the first round to kick off (a test that bets before kick-off).
   */
  startFeed(): void;
  /** A consistent copy of the database while the platform runs (PgliteStore.backup). */
  backup(): Promise<Blob>;
  /** Drains sockets (1012), stops the match clock, finishes agent runs, then closes the database. */
  close(): Promise<void>;
}

/**
 * The whole platform in one process (embedded mode): the same services as the distributed
 * deployment — gateway, agent worker, exchange, market feed — joined by the in-process adapter of
 * every port: the memory run queue and LIVE stream instead of JetStream, PGlite in `dataDir`
 * instead of PostgreSQL, limits and caches in memory. Nothing listens until the caller does.
 */
export async function buildPlatform(config: Config, root: Logger): Promise<Platform> {
  // Each service's lines name it once: the gateway and the worker bind their own `service` on
  // `root`, which must carry none (pino writes a repeated key twice).
  const logger = root.child({ service: "embedded" });
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
  // Each service's figures on a registry of its own, as in distributed mode (service-registry.ts).
  const exchangeMetrics = createServiceMetrics("exchange", { processMetrics: false });
  const workerMetrics = createServiceMetrics("agent-worker", { processMetrics: false });
  const feedMetrics = createServiceMetrics("market-feed", { processMetrics: false });
  const exchangeCore = createExchange({
    store,
    config,
    dataset: epl,
    publish: exchangeEventSink({
      publisher,
      cache,
      onError: (err, event, step) => logger.error({ err, event }, `${step} failed`),
    }),
  });
  const exchange = instrumentExchange(exchangeCore, {
    metrics: createExchangeMetrics(exchangeMetrics.registry),
    errors: exchangeMetrics.errors,
    transport: "memory",
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
    onError: (err, context) => {
      feedMetrics.errors.inc({ code: err instanceof AppError ? err.code : "internal", transport: "memory" });
      logger.error({ err, ...context }, "market feed fault");
    },
  });

  const runQueue = createMemoryRunQueue(runQueueOptions(config));
  const worker = createWorker({
    config,
    runQueue,
    pool: createAgentPool(config),
    provider: createModelProvider(config, epl),
    services: createToolServices({ epl, model, exchange, records: store, live, config }),
    logger: root.child({ service: "agent-worker" }),
    onRunError: (code) => workerMetrics.errors.inc({ code, transport: "memory" }),
  });
  registerWorkerMetrics(workerMetrics.registry, {
    slots: config.workerConcurrency,
    busy: worker.busy,
    queue: runQueue.stats,
  });

  const metrics = createGatewayMetrics({ processMetrics: false });
  const app = await buildApp(config, {
    runQueue,
    logger: root,
    exchange,
    live,
    cache,
    metrics,
    mode: "embedded",
  });
  worker.start();
  if (config.feedEnabled) feed.start();

  return {
    app,
    metrics,
    scrape: combineRegistries([
      createServiceRegistry("embedded"),
      metrics.registry,
      workerMetrics.registry,
      exchangeMetrics.registry,
      feedMetrics.registry,
    ]),
    startFeed: () => feed.start(),
    backup: () => store.backup(),
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
