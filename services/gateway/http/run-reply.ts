import type { FastifyReply, FastifyRequest } from "fastify";
import { toAppError } from "../../../shared/errors.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import type { AgentStreamFrame } from "../../../shared/protocol/server-frames.js";
import type { StartedRun } from "../agent-runs.js";
import type { GatewayMetrics } from "../metrics.js";
import { collectRun } from "./finished-run.js";
import { openSse } from "./sse.js";

/**
 * Answers an HTTP request with a started agent run, in the protocol's two forms: with
 * `Accept: text/event-stream` an SSE stream of the run's frames (`agent.accepted` first), else the
 * finished run as JSON. The run goes on when the client leaves (it can be resumed over /ws); only
 * the relay stops.
 */
export async function replyWithRun(
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
  const sse = openSse(reply.raw, run.maxBufferedBytes, reply.getHeaders());
  sse.send({
    type: "agent.accepted",
    id: requestId,
    requestId,
    agent,
    ...(started.queuedAhead === undefined ? {} : { queuedAhead: started.queuedAhead }),
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
  return reply;
}
