import type { AgentRunRequest, RunQueue, RunWatch } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { type AgentName, type Intent, intents } from "../../../shared/protocol/agents.js";
import type { Claims } from "../auth/claims.js";

export interface StartedRun {
  requestId: string;
  /** True when the (user, clientId) pair already started a run: this is that run. */
  duplicate: boolean;
  queuedAhead?: number;
  /** The run's stream from seq 1, ending after its terminal chunk. */
  watch: RunWatch;
}

/**
 * Submits a run and returns its stream from the first chunk. The watch is opened before the
 * submit so that no chunk of a fast run can be published before anyone listens; when the submit
 * turns out to be a duplicate, that watch is dropped and the original run is watched from seq 1.
 */
export async function startRun(queue: RunQueue, request: AgentRunRequest): Promise<StartedRun> {
  const first = queue.watch(request.requestId, 0, { fresh: true });
  let result: Awaited<ReturnType<RunQueue["submit"]>>;
  try {
    result = await queue.submit(request);
  } catch (err) {
    first.close();
    throw err;
  }
  if (!result.duplicate) return { ...result, watch: first };
  first.close();
  return { requestId: result.requestId, duplicate: true, watch: queue.watch(result.requestId, 0) };
}

/** The agent a run names directly or through its intent (docs/protocol.md "Agent runs"). */
export function resolveAgent(target: { agent?: AgentName; intent?: Intent }): AgentName {
  if (target.agent !== undefined && target.intent !== undefined && intents[target.intent] !== target.agent) {
    throw new AppError("bad_request", `intent ${target.intent} does not route to ${target.agent}`);
  }
  const agent = target.agent ?? (target.intent === undefined ? undefined : intents[target.intent]);
  if (agent === undefined) throw new AppError("bad_request", "agent.run needs an `agent` or an `intent`");
  return agent;
}

/** A run request for the bus; `requestId` comes from `RunIds.mint` so any gateway can verify its owner. */
export function buildRunRequest(fields: {
  claims: Claims;
  clientId: string;
  agent: AgentName;
  input: string;
  context?: AgentRunRequest["context"];
  requestId: string;
  confirmTrades?: boolean;
}): AgentRunRequest {
  const request: AgentRunRequest = {
    v: 1,
    requestId: fields.requestId,
    clientId: fields.clientId,
    userId: fields.claims.sub,
    tier: fields.claims.tier,
    agent: fields.agent,
    input: fields.input,
    submittedAt: Date.now(),
  };
  if (fields.context !== undefined) request.context = fields.context;
  if (fields.confirmTrades === true) request.confirmTrades = true;
  return request;
}
