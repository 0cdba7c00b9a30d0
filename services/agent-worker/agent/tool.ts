import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { AgentRunRequest } from "../../../shared/bus/run-queue.js";
import type { Dataset } from "../../../shared/epl/dataset.js";
import { AppError, toAppError } from "../../../shared/errors.js";

/**
 * What tools may use, filled once per process by whoever builds the worker and shared by every
 * run. A new service is one property here plus where the worker is built.
 */
export interface ToolServices {
  /** Real Premier League results. */
  epl: Dataset;
}

/** Per-run context: who asked. Tools read user data only through `userId`, never from input. */
export interface ToolContext {
  userId: string;
  tier: AgentRunRequest["tier"];
  requestId: string;
  signal: AbortSignal;
  services: ToolServices;
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
  return {
    name: spec.name,
    description: spec.description,
    input: spec.input,
    async call(raw, ctx) {
      const input = Value.Default(spec.input, Value.Clone(raw ?? {}));
      const problem = Value.Errors(spec.input, input).First();
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
