import type { RunQueue, RunWatch } from "../../../shared/bus/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import { buildRunRequest, resolveAgent, startRun } from "../agent-runs.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RunIds } from "../run-ids.js";
import type { FrameHandlers, SessionContext } from "./session.js";

/** One agent stream this socket relays, keyed by the client frame id that opened it. */
interface Relay {
  /** The agent of a run started here; unknown for a resumed one. */
  agent?: AgentName;
  /** Resolves with the run's requestId once the bus accepted it. */
  started: Promise<string>;
  watch?: RunWatch;
  closed: boolean;
}

type AgentFrameHandlers = Pick<FrameHandlers, "agent.run" | "agent.cancel" | "agent.resume">;

/**
 * `agent.run`, `agent.cancel` and `agent.resume` for one session. Runs outlive the socket: closing
 * the session only stops relaying, and the client resumes by requestId (here or on any gateway).
 */
export function createAgentHandlers(
  session: SessionContext,
  deps: { runQueue: RunQueue; runIds: RunIds; metrics: GatewayMetrics; maxRunsPerSocket: number },
): { handlers: AgentFrameHandlers; close(): void } {
  const { runQueue, runIds, metrics } = deps;
  const relays = new Map<string, Relay>();

  /** Makes room for a relay under `id`: a stream already relayed under that id gives way. */
  const reserve = (id: string): void => {
    const previous = relays.get(id);
    if (previous !== undefined) {
      previous.closed = true;
      previous.watch?.close();
      relays.delete(id);
    }
    if (relays.size >= deps.maxRunsPerSocket) {
      throw new AppError(
        "rate_limited",
        `at most ${deps.maxRunsPerSocket} agent streams per connection; wait for one to end`,
        { retryAfterMs: 1000 },
      );
    }
  };

  /** Relays `watch` as the client's frames `{...chunk, id, requestId}` until the terminal one. */
  const relay = async (id: string, requestId: string, agent: AgentName | undefined, self: Relay) => {
    const watch = self.watch!;
    try {
      for await (const chunk of watch) {
        session.send({ ...chunk, id, requestId });
        if (isTerminal(chunk) && agent !== undefined) {
          const outcome = chunk.type === "agent.done" ? chunk.stopReason : chunk.code;
          metrics.agentRunsFinished.inc({ agent, outcome });
        }
      }
    } catch (err) {
      if (!self.closed && !session.isClosed) {
        session.logger.error({ err, requestId }, "agent stream failed");
        session.sendError(
          id,
          err instanceof AppError ? err : new AppError("unavailable", "agent stream lost"),
        );
      }
    } finally {
      if (relays.get(id) === self) relays.delete(id);
    }
  };

  const run = async (frame: ClientFrameOf<"agent.run">) => {
    const existing = relays.get(frame.id);
    if (existing !== undefined && !existing.closed) {
      // The same run id again on this socket: the run is already being relayed here.
      const requestId = await existing.started;
      session.send({
        type: "agent.accepted",
        id: frame.id,
        requestId,
        agent: existing.agent ?? resolveAgent(frame),
      });
      return;
    }
    const agent = resolveAgent(frame);
    reserve(frame.id);
    const { claims } = session;
    const request = buildRunRequest({
      claims,
      clientId: frame.id,
      requestId: runIds.mint(claims.sub),
      agent,
      input: frame.input,
      ...(frame.context === undefined ? {} : { context: frame.context }),
    });
    let resolveStarted!: (requestId: string) => void;
    let rejectStarted!: (err: unknown) => void;
    const self: Relay = {
      started: new Promise((resolve, reject) => {
        resolveStarted = resolve;
        rejectStarted = reject;
      }),
      agent,
      closed: false,
    };
    // Awaiters (a repeated frame, a cancel) see the failure; nobody awaiting is no fault.
    self.started.catch(() => {});
    relays.set(frame.id, self);

    let started: Awaited<ReturnType<typeof startRun>>;
    try {
      started = await startRun(runQueue, request);
    } catch (err) {
      if (relays.get(frame.id) === self) relays.delete(frame.id);
      rejectStarted(err);
      throw err;
    }
    self.watch = started.watch;
    resolveStarted(started.requestId);
    if (self.closed || session.isClosed) {
      started.watch.close();
      return;
    }
    if (!started.duplicate) metrics.agentRuns.inc({ agent, tier: claims.tier, transport: "ws" });
    session.logger.info(
      { requestId: started.requestId, agentName: agent, duplicate: started.duplicate, action: "agent.run" },
      "agent run accepted",
    );
    session.send({
      type: "agent.accepted",
      id: frame.id,
      requestId: started.requestId,
      agent,
      ...(started.queuedAhead === undefined ? {} : { queuedAhead: started.queuedAhead }),
    });
    await relay(frame.id, started.requestId, started.duplicate ? undefined : agent, self);
  };

  const cancel = async (frame: ClientFrameOf<"agent.cancel">) => {
    const target = relays.get(frame.id);
    if (target === undefined)
      throw new AppError("not_found", `no agent run with id ${frame.id} on this connection`);
    const requestId = await target.started;
    session.logger.info({ requestId, action: "agent.cancel" }, "agent run cancelled by client");
    await runQueue.cancel(requestId);
  };

  const resume = async (frame: ClientFrameOf<"agent.resume">) => {
    // Someone else's run answers exactly like a run that does not exist.
    if (!runIds.owns(frame.requestId, session.claims.sub)) {
      session.logger.info({ requestId: frame.requestId }, "resume of another user's run refused");
      throw new AppError("not_found", `no agent run ${frame.requestId}`);
    }
    reserve(frame.id);
    const self: Relay = {
      started: Promise.resolve(frame.requestId),
      watch: runQueue.watch(frame.requestId, frame.after),
      closed: false,
    };
    relays.set(frame.id, self);
    session.logger.info(
      { requestId: frame.requestId, after: frame.after, action: "agent.resume" },
      "agent run resumed",
    );
    await relay(frame.id, frame.requestId, undefined, self);
  };

  return {
    handlers: { "agent.run": run, "agent.cancel": cancel, "agent.resume": resume },
    close() {
      for (const self of relays.values()) {
        self.closed = true;
        self.watch?.close();
      }
      relays.clear();
    },
  };
}
