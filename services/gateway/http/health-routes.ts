import type { FastifyInstance } from "fastify";

/** Each dependency's name and whether it is usable right now. */
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/**
 * `GET /healthz`: the process answers. `GET /readyz`: 200 once every dependency check passes,
 * else 503 with the error body and the checks, so an orchestrator only routes to a ready gateway.
 */
export async function healthRoutes(app: FastifyInstance, options: { readiness: ReadinessCheck }) {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (request, reply) => {
    let checks: Record<string, boolean>;
    try {
      checks = await options.readiness();
    } catch (err) {
      request.log.error({ err }, "readiness check failed");
      checks = { readiness: false };
    }
    const down = Object.keys(checks).filter((name) => !checks[name]);
    if (down.length === 0) return { status: "ready", checks };
    return reply
      .code(503)
      .send({ error: { code: "unavailable", message: `not ready: ${down.join(", ")}` }, checks });
  });
}
