import type { AgentName, Intent } from "../protocol/agents.js";
import type { ClientFrame, ClientFrameOf } from "../protocol/client-frames.js";
import type { AgentAcceptedFrame, AgentStreamFrame, ServerFrame } from "../protocol/server-frames.js";
import { BoundedQueue } from "./bounded-queue.js";
import { ClientClosedError, ProtocolError } from "./errors.js";
import { clientFrames } from "./frames.js";
import { newId } from "./ids.js";

/** Which agent runs: one by name, or the one an intent routes to (docs/protocol.md "Agent runs"). */
export type RunTarget = { agent: AgentName } | { intent: Intent };
export type RunContext = NonNullable<ClientFrameOf<"agent.run">["context"]>;
export interface RunOptions {
  context?: RunContext;
  /**
   * Ask before each trade: the run yields `agent.confirm` and waits for `confirm()` (no answer
   * within the frame's `timeoutMs` declines it; docs/protocol.md "Agent runs").
   */
  confirmTrades?: boolean;
}

/**
 * One agent run as an async iterator of its stream frames — `agent.delta`, `agent.tool`,
 * `agent.restart` (the run moved to another worker: discard the partial output so far), then
 * one terminal `agent.done` or `agent.error`, and `agent.confirm` in a run that opted in — each exactly once and in `seq` order, across
 * reconnects to any gateway (the client sends `agent.resume` with the last `seq` received).
 * A request the gateway refuses (`rate_limited`, `overloaded`…) throws a `ProtocolError`.
 */
export interface AgentRun extends AsyncIterableIterator<AgentStreamFrame> {
  /** The run's frame id (the `id` of `agent.run`, echoed by every frame of the run). */
  readonly id: string;
  /** Resolves with `agent.accepted` (its `requestId` names the run). */
  readonly accepted: Promise<AgentAcceptedFrame>;
  /** Asks the platform to stop the run: it ends with `agent.done` `stopReason:"cancelled"`. */
  cancel(): void;
  /**
   * Answers the run's `agent.confirm` of `confirmId`: place the trade or decline it. False when
   * no socket is open to take the answer (the server then declines it at the frame's timeout).
   */
  confirm(confirmId: string, accept: boolean): boolean;
}

interface RunEntry {
  frame: ClientFrameOf<"agent.run">;
  requestId: string | undefined;
  /** The `seq` of the last frame received: a resume asks for what comes after it. */
  after: number;
  cancelled: boolean;
  queue: BoundedQueue<AgentStreamFrame>;
  accept: (frame: AgentAcceptedFrame) => void;
  refuse: (error: Error) => void;
}

/** How long to wait before resuming again when the gateway cannot read the run yet (`unavailable`). */
const resumeRetryMs = 500;

/** The agent runs a client follows, by frame id. */
export function createAgentRuns(send: (frame: ClientFrame) => boolean, capacity: number) {
  const runs = new Map<string, RunEntry>();
  const retryTimers = new Set<ReturnType<typeof setTimeout>>();

  /** Starts the run, or picks it up after a reconnect (the same `id` is never run twice). */
  function follow(run: RunEntry) {
    if (run.requestId === undefined) send(run.frame);
    else send(clientFrames.agentResume(run.frame.id, run.requestId, run.after));
    if (run.cancelled) send(clientFrames.agentCancel(run.frame.id));
  }

  function finish(run: RunEntry, error?: Error) {
    runs.delete(run.frame.id);
    run.queue.end(error);
    run.refuse(error ?? new ClientClosedError());
  }

  function streamFrame(run: RunEntry, frame: ServerFrame) {
    if (frame.type === "agent.accepted") {
      run.requestId = frame.requestId;
      run.accept(frame);
      return;
    }
    if (frame.type === "error") {
      const error = new ProtocolError(frame);
      // The gateway cannot read the run's stream yet (NATS restarting): ask again.
      if (run.requestId !== undefined && error.retryable) {
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          if (runs.has(run.frame.id)) follow(run);
        }, resumeRetryMs);
        retryTimers.add(timer);
        return;
      }
      return finish(run, error);
    }
    if (!("seq" in frame) || typeof frame.seq !== "number") return;
    // A resume (or a second `agent.run` of the same id) replays from `after`: seen already.
    if (frame.seq <= run.after) return;
    run.after = frame.seq;
    if (!run.queue.push(frame as AgentStreamFrame)) return;
    if (frame.type === "agent.done" || frame.type === "agent.error") finish(run);
  }

  return {
    run(target: RunTarget, input: string, { context, confirmTrades }: RunOptions = {}): AgentRun {
      const id = newId("run");
      const frame = clientFrames.agentRun(id, {
        ...target,
        input,
        ...(context === undefined ? {} : { context }),
        ...(confirmTrades === undefined ? {} : { confirmTrades }),
      });
      let accept!: (frame: AgentAcceptedFrame) => void;
      let refuse!: (error: Error) => void;
      const accepted = new Promise<AgentAcceptedFrame>((resolve, reject) => {
        accept = resolve;
        refuse = reject;
      });
      // Awaiting `accepted` is optional; its rejection is the iterator's to report.
      accepted.catch(() => {});
      const entry: RunEntry = {
        frame,
        requestId: undefined,
        after: 0,
        cancelled: false,
        // Stopping early stops following the run, not the run itself: `cancel()` does that.
        queue: new BoundedQueue(capacity, () => runs.delete(id)),
        accept,
        refuse,
      };
      runs.set(id, entry);
      send(frame);
      const queue = entry.queue;
      return {
        id,
        accepted,
        cancel() {
          if (entry.cancelled || !runs.has(id)) return;
          entry.cancelled = true;
          send(clientFrames.agentCancel(id));
        },
        confirm(confirmId, accept) {
          if (entry.requestId === undefined) return false;
          return send(clientFrames.agentConfirmReply(newId("c"), entry.requestId, confirmId, accept));
        },
        next: () => queue.next(),
        return: () => queue.return(),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },

    welcomed() {
      for (const run of runs.values()) follow(run);
    },

    receive(frame: ServerFrame): boolean {
      const id = "id" in frame ? frame.id : undefined;
      const run = id === undefined ? undefined : runs.get(id);
      if (run === undefined) return false;
      streamFrame(run, frame);
      return true;
    },

    closeAll(error?: Error) {
      for (const timer of retryTimers) clearTimeout(timer);
      for (const run of [...runs.values()]) finish(run, error && new ClientClosedError(error));
    },
  };
}
