import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { AgentRunRequest, RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError, toAppError } from "../../../shared/errors.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import type { AgentStreamFrame } from "../../../shared/protocol/server-frames.js";
import { openSse } from "../http/sse.js";
import type { GatewayMetrics } from "../metrics.js";
import { collectRun } from "./finished-run.js";
import type { RunIds } from "./run-ids.js";
import { buildRunRequest, type StartedRun, startRun } from "./start-run.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Stops each HTTP relay of an agent run in progress (see `runRelaysPlugin`). */
    runRelays: Set<() => void>;
  }
}

/**
 * The gateway's drain for HTTP agent runs: an SSE stream or a waiting JSON answer can last as
 * long as its run, minutes, and would hold `app.close()` (and the pod) until the kill. On
 * `preClose`, when the sockets get 1012, every relay stops instead: the run goes on on its worker,
 * and the client is told to resume it over /ws (docs/protocol.md).
 */
export const runRelaysPlugin = fp(async (app) => {
  const relays = new Set<() => void>();
  app.decorate("runRelays", relays);
  app.addHook("preClose", async () => {
    for (const stop of relays) stop();
  });
});

/** What every HTTP route that starts an agent run needs. */
export interface HttpRunOptions {
  runQueue: RunQueue;
  runIds: RunIds;
  metrics: GatewayMetrics;
  /** Bytes an SSE response may hold unsent before the stream is ended as a slow consumer. */
  maxBufferedBytes: number;
}

/**
 * Starts an agent run for the signed-in caller and answers with it (`replyWithRun`). HTTP has no
 * client frame id: the requestId doubles as the stream frames' `id` and as the run's client id.
 */
export async function runOverHttp(
  request: FastifyRequest,
  reply: FastifyReply,
  run: {
    agent: AgentName;
    input: string;
    context?: AgentRunRequest["context"];
    /** The log line's `action`: which route started the run. */
    action: string;
  },
  options: HttpRunOptions,
): Promise<unknown> {
  const { agent } = run;
  const claims = request.claims!;
  const requestId = options.runIds.mint(claims.sub);
  const started = await startRun(
    options.runQueue,
    buildRunRequest({
      claims,
      clientId: requestId,
      requestId,
      agent,
      input: run.input,
      ...(run.context === undefined ? {} : { context: run.context }),
    }),
  );
  options.metrics.agentRuns.inc({ agent, tier: claims.tier, transport: "http" });
  request.log.info(
    { userId: claims.sub, requestId, agentName: agent, action: run.action },
    "agent run accepted",
  );
  return replyWithRun(request, reply, {
    started,
    requestId,
    agent,
    metrics: options.metrics,
    maxBufferedBytes: options.maxBufferedBytes,
  });
}

/**
 * Answers an HTTP request with a started agent run, in the protocol's two forms: with
 * `Accept: text/event-stream` an SSE stream of the run's frames (`agent.accepted` first), else the
 * finished run as JSON. The run goes on when the client leaves (it can be resumed over /ws); only
 * the relay stops.
 */
async function replyWithRun(
  request: FastifyRequest,
  reply: FastifyReply,
  run: {
    started: StartedRun;
    requestId: string;
    agent: AgentName;
    metrics: GatewayMetrics;
    maxBufferedBytes: number;
  },
): Promise<unknown> {
  const { started, requestId, agent, metrics } = run;
  let draining = false;
  const stopRelay = () => {
    draining = true;
    started.watch.close();
  };
  request.server.runRelays.add(stopRelay);
  reply.raw.once("close", () => {
    started.watch.close();
    request.server.runRelays.delete(stopRelay);
  });

  if (!request.headers.accept?.includes("text/event-stream")) {
    try {
      const finished = await collectRun(requestId, started.watch);
      metrics.agentRunsFinished.inc({ agent, outcome: finished.stopReason });
      return finished;
    } catch (err) {
      if (draining) throw drainError(requestId);
      const error = toAppError(err);
      metrics.agentRunsFinished.inc({ agent, outcome: error.code });
      throw error;
    }
  }

  reply.hijack();
  const sse = openSse(reply.raw, run.maxBufferedBytes, reply.getHeaders());
  sse.send({
    type: "agent.accepted",
    id: requestId,
    requestId,
    agent,
    ...(started.queuedAhead === undefined ? {} : { queuedAhead: started.queuedAhead }),
  });
  let ended = false;
  try {
    for await (const chunk of started.watch) {
      ended ||= isTerminal(chunk);
      const frame: AgentStreamFrame = { ...chunk, id: requestId, requestId };
      if (isTerminal(chunk)) {
        metrics.agentRunsFinished.inc({
          agent,
          outcome: chunk.type === "agent.done" ? chunk.stopReason : chunk.code,
        });
      }
      if (!sse.send(frame)) {
        request.log.info({ requestId }, "slow or gone SSE consumer: stream ended");
        sse.send({ type: "error", ...new AppError("slow_consumer", "stream too slow").toData() });
        break;
      }
    }
  } catch (err) {
    request.log.error({ err, requestId }, "agent stream failed");
    sse.send({ type: "error", ...toAppError(err).toData() });
  } finally {
    if (draining && !ended) sse.send({ type: "error", ...drainError(requestId).toData() });
    started.watch.close();
    sse.end();
  }
  return reply;
}

function drainError(requestId: string): AppError {
  return new AppError(
    "unavailable",
    `this gateway is shutting down; the run goes on: resume it over /ws with agent.resume (requestId ${requestId})`,
  );
}
