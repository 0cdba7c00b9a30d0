import { randomBytes } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { LiveStream } from "../../shared/bus/live-stream/live-stream.js";
import type { RunQueue } from "../../shared/bus/run-queue/run-queue.js";
import type { Cache } from "../../shared/cache/cache.js";
import type { Config } from "../../shared/config.js";
import { createMemoryRateLimiter } from "../../shared/limits/memory-rate-limiter.js";
import { createMemorySemaphore } from "../../shared/limits/memory-semaphore.js";
import type { RateLimiter } from "../../shared/limits/rate-limiter.js";
import type { Semaphore } from "../../shared/limits/semaphore.js";
import type { Logger } from "../../shared/logger.js";
import { tracingOn } from "../../shared/telemetry/spans.js";
import type { Exchange } from "../exchange/client.js";
import { agentsRoutes } from "./agent-runs/agents-routes.js";
import { eplTradeRoute } from "./agent-runs/epl-trade-route.js";
import { createLimitedRunQueue, runLimitsOf } from "./agent-runs/limited-run-queue.js";
import { createRunIds } from "./agent-runs/run-ids.js";
import { runRelaysPlugin } from "./agent-runs/run-reply.js";
import authPlugin from "./auth/auth-plugin.js";
import { devTokenRoutes } from "./auth/dev-token-routes.js";
import { type DeploymentMode, secureDefaults } from "./auth/secure-defaults.js";
import browserPolicyPlugin from "./http/browser-policy.js";
import errorRepliesPlugin, { errorReplyOptions } from "./http/error-replies.js";
import { healthRoutes, type ReadinessCheck } from "./http/health-routes.js";
import { httpRateLimitOptions } from "./http/http-rate-limit.js";
import { httpTracing } from "./http/http-tracing.js";
import metricsPlugin from "./http/metrics-plugin.js";
import { typeboxValidator } from "./http/typebox-validator.js";
import { createLiveService } from "./live/live-service.js";
import { matchesRoutes } from "./live/matches-routes.js";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics.js";
import { createSessionHandlers } from "./session-handlers.js";
import { marketRoutes } from "./trading/market-routes.js";
import { createTrading } from "./trading/trading.js";
import { walletRoutes } from "./trading/wallet-routes.js";
import { webClientRoutes } from "./web/web-client.js";
import { wsRoutes } from "./ws/ws-routes.js";

export interface GatewayDeps {
  /** Where agent runs go and their streams come from (NATS or in-process). Owned by the caller. */
  runQueue: RunQueue;
  logger: Logger;
  /**
   * How the process runs; with DEV_TOKENS unset, only embedded mode on a loopback HOST serves
   * development tokens (`auth/secure-defaults.ts`). Absent: distributed.
   */
  mode?: DeploymentMode;
  /** Overrides `config.gatewayId`; a random name when neither is set. */
  gatewayId?: string;
  /** `/readyz` answers 200 only when every entry is true; absent: ready once listening. */
  readiness?: ReadinessCheck;
  /** Entries of `readiness` that may be false with the gateway still ready (they have a fallback). */
  degradable?: readonly string[];
  /**
   * The metrics set the caller serves on its metrics listener (`shared/ops/ops-server.ts`); a fresh,
   * unserved one otherwise. The app itself never serves `/metrics`.
   */
  metrics?: GatewayMetrics;
  /** Quotes, trades, markets and wallets (in process or an RPC client); absent: `unavailable`. */
  exchange?: Exchange;
  /** Trade and agent-run limits shared by every gateway (Redis); absent: counted in this process. */
  limiter?: RateLimiter;
  /** Concurrent agent runs per user, shared by every gateway (Redis); absent: counted in this process. */
  semaphore?: Semaphore;
  /** Where every gateway counts HTTP requests per user and IP; absent: counted in this process. */
  rateLimitRedis?: Redis;
  /** Read cache shared by every gateway (Redis); absent: held in this process. */
  cache?: Cache;
  /**
   * The LIVE stream the gateway fans out (channels, match state); owned by the caller. Absent:
   * `subscribe` answers `unavailable` and the match routes show fixtures without live state.
   */
  live?: LiveStream;
}

/**
 * Log request ids: a random prefix per process, then a count, so that ids of every gateway stay
 * apart without a random draw per request. 16 hex characters, as before.
 */
function requestIds(): () => string {
  const prefix = randomBytes(4).toString("hex");
  let count = 0;
  return () => {
    count = (count + 1) >>> 0;
    return prefix + count.toString(16).padStart(8, "0");
  };
}

/** Per-socket and per-response bounds that have no config entry of their own. */
export const gatewayLimits = Object.freeze({
  /** docs/protocol.md "Limits": client frames per socket. */
  frameRate: { perSecond: 50, burst: 100 },
  /** Unsent bytes one socket or SSE response may hold before it is closed as a slow consumer. */
  maxBufferedBytes: 4 * 1024 * 1024,
  maxRunsPerSocket: 32,
  closeGraceMs: 5000,
});

/**
 * The gateway as a Fastify app: every plugin is registered here, in this order, and nothing
 * listens. The caller owns `deps.runQueue` and closes it after `app.close()`, which drains the
 * sockets (1012) first.
 */
export async function buildApp(config: Config, deps: GatewayDeps): Promise<FastifyInstance> {
  const gatewayId = deps.gatewayId ?? (config.gatewayId || `gw-${randomBytes(4).toString("hex")}`);
  const metrics = deps.metrics ?? createGatewayMetrics();
  const limiter = deps.limiter ?? createMemoryRateLimiter();
  // Every agent run of the gateway, WebSocket or HTTP, passes the user's run limits here.
  const runQueue = createLimitedRunQueue(deps.runQueue, {
    semaphore: deps.semaphore ?? createMemorySemaphore({ limiter }),
    limits: runLimitsOf(config),
    logger: deps.logger.child({ service: "gateway", gatewayId }),
    maxHoldMs: config.agentOutMaxAgeMs,
  });
  // Every gateway of a deployment shares the JWT secret, so each can verify any run id.
  const runIds = createRunIds(config.jwtSecret);
  const trading = createTrading({
    exchange: deps.exchange,
    limiter,
    tradesPerSecond: { free: config.tradesPerSecondFree, pro: config.tradesPerSecondPro },
    cache: deps.cache,
    logger: deps.logger,
  });
  const live = createLiveService(config, {
    live: deps.live,
    exchange: deps.exchange,
    registry: metrics.registry,
  });
  const app = Fastify({
    loggerInstance: deps.logger.child({ service: "gateway", gatewayId }) as FastifyBaseLogger,
    // Request ids from a client header are not trusted; ours are enough to correlate logs.
    genReqId: requestIds(),
    bodyLimit: config.maxFrameBytes,
    // Path ids (market and match ids) are up to 128 characters, as in bodies and frames.
    routerOptions: { maxParamLength: 128 },
    ...errorReplyOptions,
  });
  app.setValidatorCompiler(typeboxValidator);
  // First, so every route registered after it gets a request span (docs/architecture.md "Tracing").
  if (tracingOn()) await app.register(httpTracing());

  await app.register(errorRepliesPlugin);
  await app.register(browserPolicyPlugin, { corsOrigins: config.corsOrigins });
  await app.register(rateLimit, httpRateLimitOptions(config, deps.rateLimitRedis));
  app.addHook("onClose", async () => runQueue.close());
  await app.register(metricsPlugin, { metrics });
  await app.register(runRelaysPlugin);
  await app.register(authPlugin, { config });
  await app.register(healthRoutes, {
    readiness: deps.readiness ?? (async () => ({})),
    degradable: deps.degradable ?? [],
  });
  if (secureDefaults(config, deps.mode ?? "distributed").devTokens && app.tokenIssuer !== undefined) {
    await app.register(devTokenRoutes, { issuer: app.tokenIssuer });
  }
  await app.register(agentsRoutes, {
    runQueue,
    runIds,
    metrics,
    maxBufferedBytes: gatewayLimits.maxBufferedBytes,
  });
  await app.register(eplTradeRoute, {
    runQueue,
    runIds,
    metrics,
    maxBufferedBytes: gatewayLimits.maxBufferedBytes,
  });
  await app.register(marketRoutes, { reads: trading.reads });
  await app.register(walletRoutes, trading);
  await app.register(matchesRoutes, { matches: live.matches });
  await app.register(webClientRoutes);
  app.addHook("onReady", () => live.start(app.log as Logger));
  app.addHook("onClose", async () => live.close());
  await app.register(wsRoutes, {
    maxFrameBytes: config.maxFrameBytes,
    closeGraceMs: gatewayLimits.closeGraceMs,
    maxSocketsPerUser: config.maxSocketsPerUser,
    session: {
      gatewayId,
      heartbeatMs: config.heartbeatMs,
      maxBufferedBytes: gatewayLimits.maxBufferedBytes,
      frameRate: gatewayLimits.frameRate,
      tokens: app.tokens,
      metrics,
      handlers: createSessionHandlers({
        agentRuns: { runQueue, runIds, metrics, maxRunsPerSocket: gatewayLimits.maxRunsPerSocket },
        tradeDesk: trading.desk,
        channels: live.channels,
      }),
    },
  });
  return app;
}
