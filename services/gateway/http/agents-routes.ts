import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { RunQueue } from "../../../shared/bus/run-queue.js";
import { AppError, toAppError } from "../../../shared/errors.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";
import {
  agentDescriptions,
  agentNames,
  type Intent,
  intents,
  isAgentName,
} from "../../../shared/protocol/agents.js";
import type { AgentStreamFrame } from "../../../shared/protocol/server-frames.js";
import { buildRunRequest, startRun } from "../agent-runs.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RunIds } from "../run-ids.js";
import { collectRun } from "./finished-run.js";
import { openSse } from "./sse.js";

const RunBody = T.Object(
  {
    input: T.String({ minLength: 1, maxLength: 8000 }),
    context: T.Optional(
      T.Object(
        {
          matchId: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
          marketId: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type RunBody = Static<typeof RunBody>;

export interface AgentsRoutesOptions {
  runQueue: RunQueue;
  runIds: RunIds;
  metrics: GatewayMetrics;
  /** Bytes an SSE response may hold unsent before the stream is ended as a slow consumer. */
  maxBufferedBytes: number;
}

/** The agent catalogue (public) and agent runs over HTTP (PROTOCOL.md "HTTP"). */
export async function agentsRoutes(app: FastifyInstance, options: AgentsRoutesOptions) {
  const { runQueue, runIds, metrics } = options;
  const catalogue = {
    agents: agentNames.map((name) => ({
      name,
      description: agentDescriptions[name],
      intents: (Object.keys(intents) as Intent[]).filter((intent) => intents[intent] === name),
    })),
  };

  app.get("/api/agents", async () => catalogue);

  app.post<{ Params: { agent: string }; Body: RunBody }>(
    "/api/agents/:agent/runs",
    { onRequest: app.authenticate, schema: { body: RunBody } },
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
      // The run goes on when the client leaves (it can be resumed over /ws); only the relay stops.
      reply.raw.once("close", () => started.watch.close());

      if (!request.headers.accept?.includes("text/event-stream")) {
        try {
          const finished = await collectRun(requestId, started.watch);
          metrics.agentRunsFinished.inc({ agent, outcome: finished.stopReason });
          return finished;
        } catch (err) {
          const error = toAppError(err);
          metrics.agentRunsFinished.inc({ agent, outcome: error.code });
          throw error;
        }
      }

      reply.hijack();
      const sse = openSse(reply.raw, options.maxBufferedBytes);
      sse.send({
        type: "agent.accepted",
        id: requestId,
        requestId,
        agent,
        ...queuedAhead(started.queuedAhead),
      });
      try {
        for await (const chunk of started.watch) {
          const frame: AgentStreamFrame = { ...chunk, id: requestId, requestId };
          if (isTerminal(chunk)) {
            metrics.agentRunsFinished.inc({
              agent,
              outcome: chunk.type === "agent.done" ? chunk.stopReason : chunk.code,
            });
          }
          if (!sse.send(frame)) {
            request.log.info({ requestId }, "slow or gone SSE consumer: stream ended");
            sse.send({ type: "error", code: "slow_consumer", message: "stream too slow" });
            break;
          }
        }
      } catch (err) {
        request.log.error({ err, requestId }, "agent stream failed");
        sse.send({ type: "error", ...toAppError(err).toData() });
      } finally {
        started.watch.close();
        sse.end();
      }
    },
  );
}

function queuedAhead(value: number | undefined): { queuedAhead?: number } {
  return value === undefined ? {} : { queuedAhead: value };
}
