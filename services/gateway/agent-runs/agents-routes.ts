import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { AgentRunBody } from "../../../shared/protocol/agent-bodies.js";
import {
  agentDescriptions,
  agentNames,
  type Intent,
  intents,
  isAgentName,
} from "../../../shared/protocol/agents.js";
import { NoQuery, SafeId } from "../../../shared/protocol/common.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RunIds } from "./run-ids.js";
import { replyWithRun } from "./run-reply.js";
import { buildRunRequest, startRun } from "./start-run.js";

/** Any well-formed name: one that is no agent is `not_found`, like an unknown route. */
const RunParams = T.Object({ agent: SafeId(64) }, { additionalProperties: false });
type RunParams = Static<typeof RunParams>;

export interface AgentsRoutesOptions {
  runQueue: RunQueue;
  runIds: RunIds;
  metrics: GatewayMetrics;
  /** Bytes an SSE response may hold unsent before the stream is ended as a slow consumer. */
  maxBufferedBytes: number;
}

/** The agent catalogue (public) and agent runs over HTTP (docs/protocol.md "HTTP"). */
export async function agentsRoutes(app: FastifyInstance, options: AgentsRoutesOptions) {
  const { runQueue, runIds, metrics } = options;
  const catalogue = {
    agents: agentNames.map((name) => ({
      name,
      description: agentDescriptions[name],
      intents: (Object.keys(intents) as Intent[]).filter((intent) => intents[intent] === name),
    })),
  };

  app.get("/api/agents", { schema: { querystring: NoQuery } }, async () => catalogue);

  app.post<{ Params: RunParams; Body: AgentRunBody }>(
    "/api/agents/:agent/runs",
    {
      onRequest: app.authenticate,
      schema: { params: RunParams, querystring: NoQuery, body: AgentRunBody },
    },
    async (request, reply) => {
      const { agent } = request.params;
      if (!isAgentName(agent)) throw new AppError("not_found", `no agent named ${agent}`);
      const claims = request.claims!;
      // HTTP has no client frame id: the requestId doubles as the stream frames' `id`.
      const requestId = runIds.mint(claims.sub);
      const started = await startRun(
        runQueue,
        buildRunRequest({
          claims,
          clientId: requestId,
          requestId,
          agent,
          input: request.body.input,
          ...(request.body.context === undefined ? {} : { context: request.body.context }),
        }),
      );
      metrics.agentRuns.inc({ agent, tier: claims.tier, transport: "http" });
      request.log.info(
        { userId: claims.sub, requestId, agentName: agent, action: "agent.run" },
        "agent run accepted",
      );
      return replyWithRun(request, reply, {
        started,
        requestId,
        agent,
        metrics,
        maxBufferedBytes: options.maxBufferedBytes,
      });
    },
  );
}
