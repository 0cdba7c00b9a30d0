import type { RunQueue, RunWatch } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import type { GatewayMetrics } from "../metrics.js";
import type { SessionContext } from "../session/frame-handlers.js";
import type { RunIds } from "./run-ids.js";
import { buildRunRequest, resolveAgent, startRun } from "./start-run.js";

/** One agent stream this socket relays, keyed by the client frame id that opened it. */
interface Relay {
  /** The agent of a run started here; unknown for a resumed one. */
  agent?: AgentName;
  /** Resolves with the run's requestId once the bus accepted it. */
  started: Promise<string>;
  watch?: RunWatch;
  closed: boolean;
}

/** What agent runs need, one set per gateway process. */
export interface AgentDeps {
  runQueue: RunQueue;
  runIds: RunIds;
  metrics: GatewayMetrics;
  /** Agent streams one socket may relay at once. */
  maxRunsPerSocket: number;
}

/**
 * `agent.run`, `agent.cancel`, `agent.resume` and `agent.confirm.reply` for one session. Runs outlive the socket: closing
 * the session only stops relaying, and the client resumes by requestId (here or on any gateway).
 * A class rather than closures per session: its methods exist once for every socket.
 */
export class AgentRelays {
  /** Created by the socket's first agent frame: most sockets never send one. */
  #relays: Map<string, Relay> | undefined;

  constructor(
    private readonly session: SessionContext,
    private readonly deps: AgentDeps,
  ) {}

  #table(): Map<string, Relay> {
    this.#relays ??= new Map();
    return this.#relays;
  }

  /** Makes room for a relay under `id`: a stream already relayed under that id gives way. */
  #reserve(id: string): void {
    const previous = this.#table().get(id);
    if (previous !== undefined) {
      previous.closed = true;
      previous.watch?.close();
      this.#table().delete(id);
    }
    if (this.#table().size >= this.deps.maxRunsPerSocket) {
      throw new AppError(
        "rate_limited",
        `at most ${this.deps.maxRunsPerSocket} agent streams per connection; wait for one to end`,
        { retryAfterMs: 1000 },
      );
    }
  }

  /** Relays `watch` as the client's frames `{...chunk, id, requestId}` until the terminal one. */
  async #relay(id: string, requestId: string, agent: AgentName | undefined, self: Relay) {
    const watch = self.watch!;
    try {
      for await (const chunk of watch) {
        this.session.send({ ...chunk, id, requestId });
        if (isTerminal(chunk) && agent !== undefined) {
          const outcome = chunk.type === "agent.done" ? chunk.stopReason : chunk.code;
          this.deps.metrics.agentRunsFinished.inc({ agent, outcome });
        }
      }
    } catch (err) {
      if (!self.closed && !this.session.isClosed) {
        this.session.logger.error({ err, requestId }, "agent stream failed");
        this.session.sendError(
          id,
          err instanceof AppError ? err : new AppError("unavailable", "agent stream lost"),
        );
      }
    } finally {
      if (this.#table().get(id) === self) this.#table().delete(id);
    }
  }

  async run(frame: ClientFrameOf<"agent.run">): Promise<void> {
    const existing = this.#table().get(frame.id);
    if (existing !== undefined && !existing.closed) {
      // The same run id again on this socket: the run is already being relayed here.
      const requestId = await existing.started;
      this.session.send({
        type: "agent.accepted",
        id: frame.id,
        requestId,
        agent: existing.agent ?? resolveAgent(frame),
      });
      return;
    }
    const agent = resolveAgent(frame);
    this.#reserve(frame.id);
    const { claims } = this.session;
    const request = buildRunRequest({
      claims,
      clientId: frame.id,
      requestId: this.deps.runIds.mint(claims.sub),
      agent,
      input: frame.input,
      ...(frame.context === undefined ? {} : { context: frame.context }),
      ...(frame.confirmTrades === true ? { confirmTrades: true } : {}),
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
    this.#table().set(frame.id, self);

    let started: Awaited<ReturnType<typeof startRun>>;
    try {
      started = await startRun(this.deps.runQueue, request);
    } catch (err) {
      if (this.#table().get(frame.id) === self) this.#table().delete(frame.id);
      rejectStarted(err);
      throw err;
    }
    self.watch = started.watch;
    resolveStarted(started.requestId);
    if (self.closed || this.session.isClosed) {
      started.watch.close();
      return;
    }
    if (!started.duplicate) this.deps.metrics.agentRuns.inc({ agent, tier: claims.tier, transport: "ws" });
    this.session.logger.info(
      { requestId: started.requestId, agentName: agent, duplicate: started.duplicate, action: "agent.run" },
      "agent run accepted",
    );
    this.session.send({
      type: "agent.accepted",
      id: frame.id,
      requestId: started.requestId,
      agent,
      ...(started.queuedAhead === undefined ? {} : { queuedAhead: started.queuedAhead }),
    });
    await this.#relay(frame.id, started.requestId, started.duplicate ? undefined : agent, self);
  }

  async cancel(frame: ClientFrameOf<"agent.cancel">): Promise<void> {
    const target = this.#table().get(frame.id);
    if (target === undefined)
      throw new AppError("not_found", `no agent run with id ${frame.id} on this connection`);
    const requestId = await target.started;
    this.session.logger.info({ requestId, action: "agent.cancel" }, "agent run cancelled by client");
    await this.deps.runQueue.cancel(requestId);
  }

  /**
   * The user's answer to an `agent.confirm` of one of their runs, by requestId (so it works from
   * a socket that resumed the run). No answer frame: the run's own stream shows the outcome.
   */
  async answer(frame: ClientFrameOf<"agent.confirm.reply">): Promise<void> {
    // Someone else's run answers exactly like a run that does not exist.
    if (!this.deps.runIds.owns(frame.requestId, this.session.claims.sub)) {
      this.session.logger.info({ requestId: frame.requestId }, "confirmation of another user's run refused");
      throw new AppError("not_found", `no agent run ${frame.requestId}`);
    }
    this.session.logger.info(
      {
        requestId: frame.requestId,
        confirmId: frame.confirmId,
        accept: frame.accept,
        action: "agent.confirm",
      },
      "agent trade answered",
    );
    await this.deps.runQueue.answer(frame.requestId, { confirmId: frame.confirmId, accept: frame.accept });
  }

  async resume(frame: ClientFrameOf<"agent.resume">): Promise<void> {
    // Someone else's run answers exactly like a run that does not exist.
    if (!this.deps.runIds.owns(frame.requestId, this.session.claims.sub)) {
      this.session.logger.info({ requestId: frame.requestId }, "resume of another user's run refused");
      throw new AppError("not_found", `no agent run ${frame.requestId}`);
    }
    this.#reserve(frame.id);
    const self: Relay = {
      started: Promise.resolve(frame.requestId),
      watch: this.deps.runQueue.watch(frame.requestId, frame.after),
      closed: false,
    };
    this.#table().set(frame.id, self);
    this.session.logger.info(
      { requestId: frame.requestId, after: frame.after, action: "agent.resume" },
      "agent run resumed",
    );
    await this.#relay(frame.id, frame.requestId, undefined, self);
  }

  close(): void {
    if (this.#relays === undefined) return;
    for (const self of this.#relays.values()) {
      self.closed = true;
      self.watch?.close();
    }
    this.#relays.clear();
  }
}
