import type { NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import { connectNats, type NatsHealth, trackNatsHealth } from "../bus/nats/nats-connection.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createServiceMetrics, type ServiceMetrics } from "../metrics/service-metrics.js";
import type { ServiceName } from "../metrics/service-registry.js";
import { logWaits, untilAvailable } from "../until-available.js";
import { buildOpsServer } from "./ops-server.js";
import { cachedProbe } from "./readiness.js";

/** What a service keeps in PostgreSQL, built by the service itself (each builds only what it needs). */
export interface ServiceDatabase {
  /** Applies the service's migrations (idempotent, safe when several processes start at once). */
  migrate(): Promise<string[]>;
  /** One round trip to the database and back; `unavailable` when it cannot. */
  ping(): Promise<void>;
}

export interface ServiceDependencies {
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
 * the service's `database` (its migrations applied, idempotent when several processes start at once), then NATS —
 * each waited for with one log line per distinct problem, never a stack trace or an exit
 * (docs/architecture.md, "Failure and overload, by design").
 */
export async function startDependencies(
  config: Config,
  logger: Logger,
  options: { service: ServiceName; database: ServiceDatabase },
): Promise<ServiceDependencies> {
  const onEvent = logWaits(logger);
  const { database } = options;
  let nats: NatsHealth | undefined;
  let draining = false;
  const postgresAnswers = cachedProbe(() => database.ping());
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
  const applied = await untilAvailable("postgres", () => database.migrate(), { onEvent });
  if (applied.length > 0) logger.info({ applied }, "migrations applied");
  const nc = await untilAvailable("nats", () => connectNats(config, options.service), { onEvent });
  nats = trackNatsHealth(nc);
  return {
    nc,
    ops,
    metrics,
    startDraining() {
      draining = true;
    },
  };
}
