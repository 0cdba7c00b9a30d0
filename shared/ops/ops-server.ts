import Fastify, { type FastifyInstance } from "fastify";
import type { MetricsSource } from "../metrics/service-registry.js";
import { type ReadinessCheck, readinessAnswer } from "./readiness.js";

export interface OpsServerOptions {
  /** What `/readyz` checks: each dependency of the process and whether it is usable now. */
  readiness: ReadinessCheck;
  /** Checks that may fail without the process being unready (they have a fallback). */
  degradable?: readonly string[];
  /** When given, `GET /metrics` serves it (Prometheus text format): a registry, or several combined. */
  registry?: MetricsSource;
  /**
   * True once the process has begun to stop: `/readyz` then answers 503 `draining` whatever its
   * dependencies, while `/healthz` and `/metrics` keep answering until the listener closes.
   */
  draining?: () => boolean;
  /**
   * When given, `POST /backup` answers a consistent copy of the process's database taken while it
   * runs (embedded mode: a gzipped tarball of its PGlite data folder; docs/operations.md,
   * "Embedded mode backup"). Served only here, on the operator's listener.
   */
  backup?: () => Promise<Blob>;
}

/**
 * The operator's listener of a process that has no HTTP listener of its own (exchange, agent
 * worker, market feed): `GET /healthz` (the process answers: liveness), `GET /readyz` (200 when
 * every dependency is usable, else 503 naming the missing ones: readiness) and, with a registry,
 * `GET /metrics`. `main.ts` listens on METRICS_HOST:METRICS_PORT — never a public address — and
 * does so before it waits for its dependencies, so a probe can tell which one it waits for.
 * Built like every app here, without listening; it logs nothing (probes every few seconds would
 * drown the log).
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (options.draining?.()) {
      return reply.code(503).send({ error: { code: "unavailable", message: "draining" } });
    }
    const answer = await readinessAnswer(options.readiness, { degradable: options.degradable ?? [] });
    return reply.code(answer.status).send(answer.body);
  });
  const registry = options.registry;
  if (registry !== undefined) {
    app.get("/metrics", async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  }
  const backup = options.backup;
  if (backup !== undefined) {
    app.post("/backup", async (_request, reply) => {
      const tarball = await backup();
      reply.type("application/gzip");
      return Buffer.from(await tarball.arrayBuffer());
    });
  }
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );
  return app;
}
