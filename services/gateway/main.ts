import { Redis } from "ioredis";
import { connectNats, trackNatsHealth } from "../../shared/bus/nats-connection.js";
import { createNatsLiveStream } from "../../shared/bus/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/nats-rpc.js";
import { createNatsRunQueue } from "../../shared/bus/nats-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue-defaults.js";
import { createRedisCache } from "../../shared/cache/redis-cache.js";
import { loadConfig } from "../../shared/config.js";
import { createRedisRateLimiter } from "../../shared/limits/redis-rate-limiter.js";
import { createRedisSemaphore } from "../../shared/limits/redis-semaphore.js";
import { createLogger } from "../../shared/logger.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { createExchangeClient } from "../exchange/rpc.js";
import { buildApp } from "./app.js";
import { secureDefaults } from "./auth/secure-defaults.js";
import { buildMetricsServer } from "./http/metrics-server.js";
import { createGatewayMetrics } from "./metrics.js";

/**
 * The gateway as its own process (distributed mode): NATS for agent runs, the exchange and the
 * LIVE stream it fans out, Redis for trade, agent-run and HTTP request limits and read caches
 * (keys prefixed with STREAM_PREFIX), listening on HOST/PORT, `/metrics` on METRICS_HOST/METRICS_PORT.
 * It refuses to start with the built-in JWT_SECRET (one line naming it, exit 1).
 * SIGTERM/SIGINT drain: new connections are refused, every socket is closed with 1012 (clients
 * reconnect elsewhere and resume), then the bus and Redis connections close.
 */
const config = loadConfig();
const logger = createLogger(config);
const { refusal } = secureDefaults(config, "distributed");
if (refusal !== undefined) {
  logger.fatal({ variable: refusal.variable }, refusal.message);
  process.exit(1);
}
const nc = await connectNats(config, "gateway");
const natsHealth = trackNatsHealth(nc);
const runQueue = await createNatsRunQueue(nc, {
  ...runQueueOptions(config),
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
});
const live = await createNatsLiveStream(nc, {
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
  maxAgeMs: config.liveMaxAgeMs,
  maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
});
// Commands fail fast while Redis is down (trades and agent runs answer `unavailable`, reads skip
// the cache and the HTTP request limit).
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
const metrics = createGatewayMetrics();
const app = await buildApp(config, {
  metrics,
  runQueue,
  logger,
  readiness: async () => ({ nats: natsHealth.connected, redis: redis.status === "ready" }),
  exchange: createExchangeClient(rpc),
  limiter: createRedisRateLimiter(redis, { prefix: config.streamPrefix }),
  semaphore: createRedisSemaphore(redis, { prefix: config.streamPrefix }),
  rateLimitRedis: redis,
  cache: createRedisCache(redis, { prefix: config.streamPrefix }),
  live,
});
await app.listen({ host: config.host, port: config.port });
const metricsServer = buildMetricsServer(metrics.registry);
const metricsAddress = await metricsServer.listen({ host: config.metricsHost, port: config.metricsPort });
logger.info({ metrics: `${metricsAddress}/metrics` }, "metrics served");

stopOnSignal(app.log, async () => {
  await metricsServer.close();
  await app.close();
  await runQueue.close();
  await live.close();
  await rpc.close();
  await nc.drain();
  redis.disconnect();
});
