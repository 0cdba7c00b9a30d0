import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import type { AgentRunRequest } from "../../../shared/bus/run-queue/run-queue.js";
import type { Config } from "../../../shared/config.js";
import type { Dataset } from "../../../shared/epl/dataset.js";
import type { Model } from "../../../shared/epl/model.js";
import { AppError, toAppError } from "../../../shared/errors.js";
import type { AlertBook } from "../../../shared/journal/alert-book.js";
import type { TradeJournal } from "../../../shared/journal/trade-journal.js";
import type { Exchange } from "../../exchange/client.js";
import type { LiveScores } from "../platform/live-scores.js";
import type { ConfirmOutcome, TradeToConfirm } from "./trade-confirmation.js";

/**
 * What tools may use, filled once per process by whoever builds the worker and shared by every
 * run. A new service is one property here plus where the worker is built.
 */
export interface ToolServices {
  /** Real Premier League results. */
  epl: Dataset;
  /** Team strengths fitted once per process from `epl`. */
  model: Model;
  /** The in-process exchange (embedded) or its client over the bus (distributed). */
  exchange: Exchange;
  live: LiveScores;
  journal: TradeJournal;
  alerts: AlertBook;
  limits: Pick<Config, "agentStakeCapCredits">;
}

/** What the worker knows of a run before it starts: who asked, and the process's services. */
export interface RunContext {
  userId: string;
  tier: AgentRunRequest["tier"];
  requestId: string;
  services: ToolServices;
}

/** State one run's tool calls share (the agent loop makes it fresh for every run). */
export interface RunState {
  /** Credits this run has committed to buys, counted against the per-run stake cap. */
  stakedCredits: number;
  /** `placeTrade` calls so far in this attempt: the nth call of a redelivered run is the nth of the first. */
  tradeCalls: number;
}

/** Per-call context: who asked (tools read user data only through `userId`, never from input). */
export interface ToolContext extends RunContext {
  signal: AbortSignal;
  /** The model's id of this call; a deterministic model repeats it when a run is redelivered. */
  callId: string;
  run: RunState;
  /**
   * Reports progress of a long call. The agent streams each update as an `agent.tool` frame of
   * this call with `status: "started"` and `output: { progress: update }` before its final frame.
   */
  progress(update: unknown): void;
  /**
   * Present only when the run's client opted in (`agent.run` `confirmTrades`): asks the user to
   * confirm a trade with an `agent.confirm` frame and waits for the answer or the timeout.
   */
  confirm?(trade: TradeToConfirm): Promise<ConfirmOutcome>;
}

export type ToolOutcome = { ok: true; output: unknown } | { ok: false; error: AppError };

export interface Tool {
  readonly name: string;
  readonly description: string;
  /** TypeBox schema, which is JSON Schema: sent to the model as the tool's `input_schema`. */
  readonly input: TSchema;
  /**
   * Validates `input` (filling schema defaults) and runs the tool. Never throws: a bad input or a
   * failing tool is an outcome the agent feeds back to the model, which may correct itself.
   */
  call(input: unknown, ctx: ToolContext): Promise<ToolOutcome>;
}

export interface ToolSpec<S extends TSchema, O> {
  name: string;
  description: string;
  input: S;
  run: (input: Static<S>, ctx: ToolContext) => Promise<O>;
}

export function createTool<S extends TSchema, O>(spec: ToolSpec<S, O>): Tool {
  // Compiled once: every run calls its tools, and a valid input (nearly every one) needs no errors.
  const checker = TypeCompiler.Compile(spec.input);
  return {
    name: spec.name,
    description: spec.description,
    input: spec.input,
    async call(raw, ctx) {
      const input = Value.Default(spec.input, Value.Clone(raw ?? {}));
      const problem = checker.Check(input) ? undefined : checker.Errors(input).First();
      if (problem) {
        const where = problem.path === "" ? "input" : `input${problem.path.replaceAll("/", ".")}`;
        return {
          ok: false,
          error: new AppError("bad_request", `${spec.name}: ${where}: ${problem.message}`),
        };
      }
      try {
        return { ok: true, output: await spec.run(input as Static<S>, ctx) };
      } catch (err) {
        return { ok: false, error: toAppError(err) };
      }
    },
  };
}
