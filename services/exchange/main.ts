import { createLivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import { liveStreamOptions } from "../../shared/bus/live-stream/live-stream-options.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { createRedisCache, dropEveryEntry } from "../../shared/cache/redis-cache.js";
import { loadConfig } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createLogger } from "../../shared/logger.js";
import { startDependencies } from "../../shared/ops/start-dependencies.js";
import { connectRedis, logRedisEvents } from "../../shared/redis-connection.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { logWaits, untilAvailable } from "../../shared/until-available.js";
import { createExchange } from "./exchange.js";
import { createExchangeMetrics, instrumentExchange } from "./exchange-metrics.js";
import { exchangeEventSink } from "./live-events.js";
import { serveExchange } from "./rpc.js";
import { createPostgresStore } from "./store/postgres-store.js";

/**
 * The exchange as its own process (distributed mode): PostgreSQL at DATABASE_URL, requests on
 * NATS in the "exchange" queue group, so any number of these run side by side. At start it
 * applies migrations and opens the markets of unfinished fixtures (both idempotent, safe when
 * several start at once). A dependency missing at start is waited for (one log line naming it and
 * the problem), with `/readyz` of the ops listener (METRICS_HOST:METRICS_PORT) naming it
 * meanwhile; one lost later answers `unavailable` until it is back. An unexpected exception
 * exits (crash-only). SIGTERM/SIGINT stop taking requests, finish those in flight, then close.
 */
const config = loadConfig();
// Before any port is built: each decides once, when built, whether to trace.
const tracing = startTracing({ service: "exchange" });
const logger = createLogger(config, { service: "exchange" });
exitOnUnexpectedError(logger);
// The ledger and, on the same database, the agents' records whose price alerts a trade fires.
const store = createPostgresStore(config.databaseUrl, {
  maxConnections: 10,
  ...(config.databaseReadUrl === "" ? {} : { readUrl: config.databaseReadUrl }),
});
const { nc, ops, metrics } = await startDependencies(config, logger, {
  service: "exchange",
  database: store,
});
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Fills, balances and settlements go to their users' `user` channels, price changes to
// `market.<id>` — and every price change fires the users' price alerts it meets.
const live = await createNatsLiveStream(nc, liveStreamOptions(config));
const publisher = createLivePublisher(live, {
  alerts: createAlertBook(store),
  onAlertError: (err, topic) => logger.error({ err, topic }, "alert delivery failed"),
});
// The gateways' read cache (Redis) is dropped here, by the one writer, for every change. While
// Redis is away the drops are skipped (its outage is logged once); when it is back every entry
// is dropped, as any may have missed a change meanwhile.
const onRedis = logRedisEvents(logger);
const { redis, usable: redisUsable } = connectRedis(config.redisUrl, {
  onEvent: (event) => {
    onRedis(event);
    if (event.type !== "up") return;
    dropEveryEntry(redis, cache, { prefix: config.streamPrefix }).then(
      (dropped) => logger.info({ dropped }, "read cache dropped after the redis outage"),
      (err: unknown) => logger.error({ err }, "read cache drop after the redis outage failed"),
    );
  },
});
metrics.trackDependency("redis", redisUsable);
const cache = createRedisCache(redis, { prefix: config.streamPrefix, usable: redisUsable });
const exchange = createExchange({
  store,
  config,
  publish: exchangeEventSink({
    publisher,
    live,
    cache,
    onError: (err, event, step) => logger.error({ err, event }, `${step} failed`),
  }),
});
const opened = await untilAvailable("postgres", () => exchange.openMarkets({}), {
  onEvent: logWaits(logger),
});
logger.info(opened, "markets ready");
const stop = serveExchange(
  instrumentExchange(exchange, {
    metrics: createExchangeMetrics(metrics.registry),
    errors: metrics.errors,
    transport: "nats",
  }),
  rpc,
);
logger.info("serving");

stopOnSignal(logger, async () => {
  await ops.close();
  await stop();
  await rpc.close();
  await live.close();
  await nc.drain();
  redis.disconnect();
  await store.close();
  await tracing.shutdown();
});
