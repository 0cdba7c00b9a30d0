import type { NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import { connectNats, type NatsHealth, trackNatsHealth } from "../bus/nats-connection.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createServiceMetrics, type ServiceMetrics } from "../metrics/service-metrics.js";
import type { ServiceName } from "../metrics/service-registry.js";
import { createPostgresStore } from "../store/postgres-store.js";
import type { Store } from "../store/store.js";
import { logWaits, untilAvailable } from "../until-available.js";
import { buildOpsServer } from "./ops-server.js";
import { cachedProbe } from "./readiness.js";

export interface ServiceDependencies {
  store: Store;
  nc: NatsConnection;
  /** The operator's listener, already listening; the caller closes it when it stops. */
  ops: FastifyInstance;
  /**
   * The service's figures, served on the ops listener's `/metrics`: process metrics,
   * `errors_total` and `dependency_up` for PostgreSQL and NATS; the caller adds its own.
   */
  metrics: ServiceMetrics;
  /** Turns `/readyz` to 503 `draining` for good: the first step of a stop, before the drain. */
  startDraining(): void;
}

/**
 * How the exchange, an agent worker and a market feed come up: the operator's listener first
 * (METRICS_HOST:METRICS_PORT: `/healthz`, and `/readyz` naming whatever is still missing), then
 * PostgreSQL (migrations applied, idempotent when several processes start at once), then NATS —
 * each waited for with one log line per distinct problem, never a stack trace or an exit
 * (docs/architecture.md, "Failure and overload, by design").
 */
export async function startDependencies(
  config: Config,
  logger: Logger,
  options: { service: ServiceName; maxConnections: number },
): Promise<ServiceDependencies> {
  const onEvent = logWaits(logger);
  const store = createPostgresStore(config.databaseUrl, {
    maxConnections: options.maxConnections,
    ...(config.databaseReadUrl === "" ? {} : { readUrl: config.databaseReadUrl }),
  });
  let nats: NatsHealth | undefined;
  let draining = false;
  const postgresAnswers = cachedProbe(() => store.ping());
  const metrics = createServiceMetrics(options.service);
  metrics.trackDependency("postgres", postgresAnswers);
  metrics.trackDependency("nats", () => nats?.connected ?? false);
  const ops = buildOpsServer({
    readiness: async () => ({ postgres: await postgresAnswers(), nats: nats?.connected ?? false }),
    registry: metrics.registry,
    draining: () => draining,
  });
  const opsAddress = await ops.listen({ host: config.metricsHost, port: config.metricsPort });
  logger.info({ ops: opsAddress }, "ops listener ready");
  const applied = await untilAvailable("postgres", () => store.migrate(), { onEvent });
  if (applied.length > 0) logger.info({ applied }, "migrations applied");
  const nc = await untilAvailable("nats", () => connectNats(config, options.service), { onEvent });
  nats = trackNatsHealth(nc);
  return {
    store,
    nc,
    ops,
    metrics,
    startDraining() {
      draining = true;
    },
  };
}
