import { Redis } from "ioredis";
import { createLivePublisher } from "../../shared/bus/live-publisher.js";
import { connectNats } from "../../shared/bus/nats-connection.js";
import { createNatsLiveStream } from "../../shared/bus/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/nats-rpc.js";
import { createRedisCache } from "../../shared/cache/redis-cache.js";
import { loadConfig } from "../../shared/config.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createLogger } from "../../shared/logger.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { createPostgresStore } from "../../shared/store/postgres-store.js";
import { createExchange } from "./exchange.js";
import { exchangeEventSink } from "./live-events.js";
import { serveExchange } from "./rpc.js";

/**
 * The exchange as its own process (distributed mode): PostgreSQL at DATABASE_URL, requests on
 * NATS in the "exchange" queue group, so any number of these run side by side. At start it
 * applies migrations and opens the markets of unfinished fixtures (both idempotent, safe when
 * several start at once). SIGTERM/SIGINT stop taking requests, finish those in flight, then close.
 */
const config = loadConfig();
const logger = createLogger(config, { service: "exchange" });
const store = createPostgresStore(config.databaseUrl);
const applied = await store.migrate();
if (applied.length > 0) logger.info({ applied }, "migrations applied");
const nc = await connectNats(config, "exchange");
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Fills, balances and settlements go to their users' `user` channels, price changes to
// `market.<id>` — and every price change fires the users' price alerts it meets.
const live = await createNatsLiveStream(nc, {
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
  maxAgeMs: config.liveMaxAgeMs,
  maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
});
const publisher = createLivePublisher(live, {
  alerts: createAlertBook(store),
  onAlertError: (err, topic) => logger.error({ err, topic }, "alert delivery failed"),
});
// The gateways' read cache (Redis) is dropped here, by the one writer, for every change.
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
const cache = createRedisCache(redis, { prefix: config.streamPrefix });
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
const opened = await exchange.openMarkets({});
logger.info(opened, "markets ready");
const stop = serveExchange(exchange, rpc);
logger.info("serving");

stopOnSignal(logger, async () => {
  await stop();
  await rpc.close();
  await live.close();
  await nc.drain();
  redis.disconnect();
  await store.close();
});
