import { createHmac } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { createMemoryRunQueue } from "../../../shared/bus/run-queue/memory-run-queue.js";
import type { RunConsumer, RunJob, RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { type Config, loadConfig } from "../../../shared/config.js";
import { createLogger } from "../../../shared/logger.js";
import { buildOpsServer } from "../../../shared/ops/ops-server.js";
import type { AgentEvent } from "../../../shared/protocol/agent-frames.js";
import { buildApp, type GatewayDeps } from "../app.js";
import { createGatewayMetrics } from "../metrics.js";

export const testSecret = "test-secret-0123456789abcdef";

export interface Harness {
  app: FastifyInstance;
  config: Config;
  runQueue: RunQueue;
  /** `ws://127.0.0.1:<port>/ws`. */
  wsUrl: string;
  /** The gateway's `/metrics` server as `main.ts` would serve it (not listening: use `inject`). */
  metricsServer: FastifyInstance;
  /** The Prometheus text of `GET /metrics` from `metricsServer`. */
  scrapeMetrics(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A gateway on a free port over an in-process run queue, in distributed mode unless
 * `deps.mode` says otherwise (so no dev tokens unless `devTokens: true`).
 */
export async function startGateway(
  overrides: Partial<Config> = {},
  deps: Partial<GatewayDeps> = {},
): Promise<Harness> {
  const config = loadConfig({}, { jwtSecret: testSecret, port: 0, gatewayId: "gw-test", ...overrides });
  const runQueue = deps.runQueue ?? createMemoryRunQueue();
  const logger = createLogger({ logLevel: (process.env.LOG_LEVEL as Config["logLevel"]) ?? "silent" });
  const metrics = deps.metrics ?? createGatewayMetrics();
  const app = await buildApp(config, { runQueue, logger, metrics, ...deps });
  const metricsServer = buildOpsServer({ readiness: async () => ({}), registry: metrics.registry });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("gateway has no TCP address");
  return {
    app,
    config,
    runQueue,
    wsUrl: `ws://127.0.0.1:${address.port}/ws`,
    metricsServer,
    async scrapeMetrics() {
      const response = await metricsServer.inject({ method: "GET", url: "/metrics" });
      if (response.statusCode !== 200) throw new Error(`GET /metrics answered ${response.statusCode}`);
      return response.body;
    },
    async close() {
      await metricsServer.close();
      await app.close();
      await runQueue.close();
    },
  };
}

/** An HS256 JWT signed here, independently of the gateway's signer. */
export function signToken(claims: Record<string, unknown>, secret = testSecret): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** A valid token for `sub` that expires in `ttlS` seconds. */
export function tokenFor(sub: string, options: { tier?: "free" | "pro"; ttlS?: number } = {}): string {
  const iat = Math.floor(Date.now() / 1000);
  return signToken({ sub, tier: options.tier ?? "free", iat, exp: iat + (options.ttlS ?? 3600) });
}

/**
 * Plays the agent worker through the queue's own consumer side: each run emits `script(job)`
 * in order and is acked. `gate`, when given, holds each run until it resolves.
 */
export function scriptedWorker(
  runQueue: RunQueue,
  script: (job: RunJob) => AgentEvent[],
  options: { concurrency?: number; gate?: (job: RunJob) => Promise<void> } = {},
): RunConsumer {
  return runQueue.consume(
    async (job) => {
      await options.gate?.(job);
      for (const event of script(job)) await job.emit(event);
      await job.ack();
    },
    { concurrency: options.concurrency ?? 256 },
  );
}

/** The usual answer: the user id and input echoed in three deltas, then `agent.done`. */
export function echoScript(job: RunJob): AgentEvent[] {
  return [
    { type: "agent.delta", text: `${job.request.userId}:` },
    { type: "agent.delta", text: job.request.input },
    { type: "agent.delta", text: "." },
    { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 3, outputTokens: 3 } },
  ];
}
