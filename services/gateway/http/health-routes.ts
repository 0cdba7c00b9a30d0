import type { FastifyInstance } from "fastify";
import { type ReadinessCheck, readinessAnswer } from "../../../shared/ops/readiness.js";

export type { ReadinessCheck };

/**
 * `GET /healthz`: the process answers. `GET /readyz`: 200 once every dependency check passes,
 * else 503 with the error body naming what is down and the checks, so an orchestrator only routes
 * to a ready gateway (the same answer as every process's ops listener, shared/ops/readiness.ts).
 * Checks in `degradable` (Redis) are reported but never make it unready.
 */
export async function healthRoutes(
  app: FastifyInstance,
  options: { readiness: ReadinessCheck; degradable?: readonly string[] },
) {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const answer = await readinessAnswer(options.readiness, { degradable: options.degradable ?? [] });
    return reply.code(answer.status).send(answer.body);
  });
}
