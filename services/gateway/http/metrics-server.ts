import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

/**
 * `GET /metrics` (Prometheus text format) on a listener of its own, never the public one: the
 * figures (process, heap, error counts) are for the operator's scraper, not for users. Built like
 * every app here, without listening; the process's `main.ts` listens on METRICS_HOST:METRICS_PORT.
 * It logs nothing: scrapes every few seconds would drown the access log.
 */
export function buildMetricsServer(registry: Registry): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );
  return app;
}
