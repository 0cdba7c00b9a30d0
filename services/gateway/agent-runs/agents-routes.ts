import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
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
import { type HttpRunOptions, runOverHttp } from "./run-reply.js";

/** Any well-formed name: one that is no agent is `not_found`, like an unknown route. */
const RunParams = T.Object({ agent: SafeId(64) }, { additionalProperties: false });
type RunParams = Static<typeof RunParams>;

/** The agent catalogue (public) and agent runs over HTTP (docs/protocol.md "HTTP"). */
export async function agentsRoutes(app: FastifyInstance, options: HttpRunOptions) {
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
      const { input, context } = request.body;
      return runOverHttp(
        request,
        reply,
        { agent, input, ...(context === undefined ? {} : { context }), action: "agent.run" },
        options,
      );
    },
  );
}
