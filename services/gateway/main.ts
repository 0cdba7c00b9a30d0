import { liveStreamOptions } from "../../shared/bus/live-stream/live-stream-options.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { connectNats, trackNatsHealth } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { createNatsRunQueue } from "../../shared/bus/run-queue/nats-run-queue.js";
import { runQueueOptions } from "../../shared/bus/run-queue/run-queue-defaults.js";
import { createRedisCache } from "../../shared/cache/redis-cache.js";
import { loadConfig } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { createFallbackRateLimiter, createFallbackSemaphore } from "../../shared/limits/fallback-limits.js";
import { createMemoryRateLimiter } from "../../shared/limits/memory-rate-limiter.js";
import { createMemorySemaphore } from "../../shared/limits/memory-semaphore.js";
import { createRedisRateLimiter } from "../../shared/limits/redis-rate-limiter.js";
import { createRedisSemaphore } from "../../shared/limits/redis-semaphore.js";
import { createLogger } from "../../shared/logger.js";
import { buildOpsServer } from "../../shared/ops/ops-server.js";
import { cachedProbe, type ReadinessCheck } from "../../shared/ops/readiness.js";
import { connectRedis, logRedisEvents } from "../../shared/redis-connection.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { logWaits, untilAvailable } from "../../shared/until-available.js";
import { createExchangeClient, pingExchange } from "../exchange/client.js";
import { buildApp } from "./app.js";
import { secureDefaults } from "./auth/secure-defaults.js";
import { createGatewayMetrics } from "./metrics.js";

/**
 * The gateway as its own process (distributed mode): NATS for agent runs, the exchange and the
 * LIVE stream it fans out, Redis for trade, agent-run and HTTP request limits and read caches
 * (keys prefixed with STREAM_PREFIX), listening on HOST/PORT; `/metrics`, `/healthz` and `/readyz` also on the operator's listener
 * (METRICS_HOST/METRICS_PORT), which comes up before NATS is waited for.
 * It refuses to start with the built-in JWT_SECRET (one line naming it, exit 1).
 * SIGTERM/SIGINT drain: new connections are refused, every socket is closed with 1012 (clients
 * reconnect elsewhere and resume), then the bus and Redis connections close.
 * NATS missing at start is waited for (one log line), the gateway listening once it answers; an
 * unexpected exception exits (crash-only). `/readyz` needs NATS and an exchange that answers;
 * Redis down only degrades it (docs/architecture.md, "Failure and overload, by design").
 */
const config = loadConfig();
// Before any port is built: each decides once, when built, whether to trace.
const tracing = startTracing({ service: "gateway" });
const logger = createLogger(config);
const { refusal } = secureDefaults(config, "distributed");
if (refusal !== undefined) {
  logger.fatal({ variable: refusal.variable }, refusal.message);
  process.exit(1);
}
exitOnUnexpectedError(logger);
const metrics = createGatewayMetrics();
// The operator's listener comes up first, so a probe can tell what a waiting gateway waits for.
let readiness: ReadinessCheck = async () => ({ nats: false });
let draining = false;
const opsServer = buildOpsServer({
  readiness: () => readiness(),
  degradable: ["redis"],
  registry: metrics.registry,
  draining: () => draining,
});
const opsAddress = await opsServer.listen({ host: config.metricsHost, port: config.metricsPort });
logger.info({ metrics: `${opsAddress}/metrics` }, "metrics served");
let natsUp = () => false;
metrics.trackDependency("nats", () => natsUp());
const nc = await untilAvailable("nats", () => connectNats(config, "gateway"), { onEvent: logWaits(logger) });
const natsHealth = trackNatsHealth(nc);
natsUp = () => natsHealth.connected;
const runQueue = await createNatsRunQueue(nc, {
  ...runQueueOptions(config),
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
  replicas: config.natsReplicas,
});
const live = await createNatsLiveStream(nc, liveStreamOptions(config));
// Commands fail at once while Redis is away: trade and agent-run limits are then counted in this
// gateway alone (fallback-limits.ts), reads skip the cache, and the HTTP request limit lets
// requests pass.
const { redis, usable: redisUsable } = connectRedis(config.redisUrl, { onEvent: logRedisEvents(logger) });
metrics.trackDependency("redis", redisUsable);
const localLimiter = createMemoryRateLimiter();
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Any exchange process serving, asked at most once a second (probes and scrapes share it).
const exchangeAnswers = cachedProbe(() => pingExchange(rpc, 1_000), { ttlMs: 1_000, timeoutMs: 1_500 });
readiness = async () => ({
  nats: natsHealth.connected,
  exchange: await exchangeAnswers(),
  redis: redisUsable(),
});
const app = await buildApp(config, {
  metrics,
  runQueue,
  logger,
  readiness: () => readiness(),
  degradable: ["redis"],
  exchange: createExchangeClient(rpc),
  limiter: createFallbackRateLimiter(
    createRedisRateLimiter(redis, { prefix: config.streamPrefix }),
    localLimiter,
    redisUsable,
  ),
  semaphore: createFallbackSemaphore(
    createRedisSemaphore(redis, { prefix: config.streamPrefix }),
    createMemorySemaphore({ limiter: localLimiter }),
    redisUsable,
  ),
  rateLimitRedis: redis,
  cache: createRedisCache(redis, { prefix: config.streamPrefix, usable: redisUsable }),
  live,
});
await app.listen({ host: config.host, port: config.port });

// The public listener answers 503 from the first moment of `app.close()` (Fastify's
// return503OnClosing), /readyz included; the ops listener says `draining` and keeps serving
// /metrics until the end, so the sockets can be watched leaving.
stopOnSignal(app.log, async () => {
  draining = true;
  await app.close();
  await runQueue.close();
  await live.close();
  await rpc.close();
  await nc.drain();
  redis.disconnect();
  await opsServer.close();
  await tracing.shutdown();
});
