import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { GatewayMetrics } from "../metrics.js";
import { errorCodeOf } from "./error-replies.js";

/**
 * Counts and times every HTTP request of the app (so its hooks escape encapsulation), and counts
 * its error answers in `errors_total` by protocol code. Unmatched
 * URLs share one route label so a scan of random paths cannot blow up the label set. The figures
 * are served on the operator's own listener (`shared/ops/ops-server.ts`), never by this app.
 */
async function metricsPlugin(app: FastifyInstance, options: { metrics: GatewayMetrics }) {
  const { metrics } = options;
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.requestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    const code = errorCodeOf(reply);
    if (code !== undefined) metrics.errors.inc({ code, transport: "http" });
  });
}

export default fp(metricsPlugin, { name: "gateway-metrics", fastify: "5.x" });
