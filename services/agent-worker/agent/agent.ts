import { configSchema } from "../../../shared/config.js";
import { AppError, toAppError } from "../../../shared/errors.js";
import type { AgentEvent, StopReason, Usage } from "../../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../../shared/protocol/agents.js";
import { fail, startSpan, traced } from "../../../shared/telemetry/spans.js";
import type {
  ContentBlock,
  ModelMessage,
  ModelProvider,
  ModelStopReason,
  ModelTool,
  ToolResultBlock,
} from "./model.js";
import type { RunContext, Tool, ToolContext, ToolOutcome } from "./tool.js";
import { askToConfirm, type Confirmations } from "./trade-confirmation.js";

/** One user's request to an agent. Everything user-specific arrives here, never in the agent. */
export interface AgentInput {
  input: string;
  context?: { matchId?: string; marketId?: string };
  userId: string;
  tier: "free" | "pro";
}

export interface AgentRunDeps {
  provider: ModelProvider;
  /** Who asked and the process's services; the loop adds the signal, call id and run state. */
  ctx: RunContext;
  /** Model calls allowed; the last one must answer in text (tool choice `none`). */
  maxSteps: number;
  signal: AbortSignal;
  /** The client opted in to confirm each trade: tools ask through `ToolContext.confirm`. */
  confirmations?: Confirmations;
}

/**
 * A configured agent, shared by every run of a process: it holds instructions and tools only.
 *
 * `run` streams the protocol's agent frames: `agent.delta` text as the model writes it, an
 * `agent.tool` `started` then `finished` or `failed` per tool call (a long call may repeat
 * `started` with `output: { progress }` in between), and exactly one terminal frame
 * last: `agent.done` (usage summed over every model call) or `agent.error`. A cancelled run ends
 * with `agent.done` `cancelled`. A model that still asks for tools on its last allowed step ends
 * the run with `max_tokens`: the step cap is the run's budget.
 */
export interface Agent {
  readonly name: AgentName;
  readonly instructions: string;
  readonly tools: readonly Tool[];
  run(input: AgentInput, deps: AgentRunDeps): AsyncIterable<AgentEvent>;
}

export interface AgentSpec {
  name: AgentName;
  instructions: string;
  tools: readonly Tool[];
  model?: string;
  maxTokens?: number;
  /**
   * Reads the user's words before the model or any tool runs: a sentence to answer with instead
   * (the run ends there, `end_turn`, no tool called), or undefined to go on.
   */
  screen?: (input: string) => string | undefined;
}

/** The configured default (`ANTHROPIC_MODEL`), for agents built without a pool. */
export const defaultModel: string = configSchema.properties.anthropicModel.default;
const defaultMaxTokens = 1024;

export function createAgent(spec: AgentSpec): Agent {
  const byName = new Map(spec.tools.map((t) => [t.name, t]));
  const toolDefs: ModelTool[] = spec.tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: t.input as unknown as Record<string, unknown>,
  }));

  async function* run(input: AgentInput, deps: AgentRunDeps): AsyncGenerator<AgentEvent> {
    const { provider, maxSteps, signal } = deps;
    const run = { stakedCredits: 0, tradeCalls: 0 };
    const usage: Usage = { inputTokens: 0, outputTokens: 0 };
    const done = (stopReason: StopReason): AgentEvent => ({
      type: "agent.done",
      stopReason,
      usage: { ...usage },
    });
    const refusal = spec.screen?.(input.input);
    if (refusal !== undefined) {
      yield { type: "agent.delta", text: refusal };
      yield done("end_turn");
      return;
    }
    const messages: ModelMessage[] = [{ role: "user", content: userMessage(input) }];

    for (let step = 1; ; step++) {
      if (signal.aborted) {
        yield done("cancelled");
        return;
      }
      const lastStep = step >= maxSteps;
      const turn: ContentBlock[] = [];
      let text = "";
      let stopReason: ModelStopReason = "end_turn";
      // A span per model call, whichever provider answers (docs/architecture.md "Tracing").
      const modelSpan = startSpan("model.call", {
        attributes: { "gen_ai.request.model": spec.model ?? defaultModel, "agent.step": step },
      });
      try {
        const events = provider.stream(
          {
            model: spec.model ?? defaultModel,
            system: spec.instructions,
            messages,
            tools: toolDefs,
            toolChoice: lastStep ? "none" : "auto",
            maxTokens: spec.maxTokens ?? defaultMaxTokens,
          },
          signal,
        );
        for await (const event of events) {
          if (event.type === "text") {
            text += event.text;
            yield { type: "agent.delta", text: event.text };
          } else if (event.type === "tool_use") {
            if (text) turn.push({ type: "text", text });
            text = "";
            turn.push({ type: "tool_use", id: event.id, name: event.name, input: event.input });
          } else if (event.type === "message_end") {
            stopReason = event.stopReason;
            usage.inputTokens += event.usage.inputTokens;
            usage.outputTokens += event.usage.outputTokens;
          }
        }
        modelSpan?.setAttribute("gen_ai.response.finish_reasons", [stopReason]);
      } catch (err) {
        fail(modelSpan, err);
        modelSpan?.end();
        if (signal.aborted) {
          yield done("cancelled");
          return;
        }
        const error = toAppError(err);
        yield { type: "agent.error", code: error.code, message: error.message, retryable: error.retryable };
        return;
      } finally {
        // Also when the run stops reading mid-stream (the generator is returned at a yield).
        if (modelSpan?.isRecording()) modelSpan.end();
      }
      if (text) turn.push({ type: "text", text });

      const calls = turn.filter((b) => b.type === "tool_use");
      if (stopReason !== "tool_use" || calls.length === 0) {
        yield done(stopReason === "max_tokens" ? "max_tokens" : "end_turn");
        return;
      }
      if (lastStep) {
        yield done("max_tokens");
        return;
      }

      messages.push({ role: "assistant", content: turn });
      const results: ToolResultBlock[] = [];
      for (const call of calls) {
        yield { type: "agent.tool", callId: call.id, name: call.name, status: "started", input: call.input };
        const tool = byName.get(call.name);
        let outcome: ToolOutcome | undefined;
        if (tool) {
          const progress: AgentEvent[] = [];
          let settled = false;
          let wake: (() => void) | undefined;
          const { confirmations } = deps;
          const ctx: ToolContext = {
            ...(confirmations === undefined
              ? {}
              : {
                  // The `agent.confirm` frame streams like progress, while the call waits.
                  confirm: (trade) =>
                    askToConfirm(trade, confirmations, signal, (event) => {
                      progress.push(event);
                      wake?.();
                    }),
                }),
            ...deps.ctx,
            signal,
            callId: call.id,
            run,
            progress(update) {
              if (settled) return;
              progress.push({
                type: "agent.tool",
                callId: call.id,
                name: call.name,
                status: "started",
                output: { progress: update },
              });
              wake?.();
            },
          };
          const calling = traced(`tool ${call.name}`, {}, () => tool.call(call.input, ctx)).finally(() => {
            settled = true;
            wake?.();
          });
          // Progress streams while the call runs; the loop ends once it settled and all was sent.
          for (;;) {
            while (progress.length > 0) yield progress.shift()!;
            if (settled) break;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
          outcome = await calling;
        }
        outcome ??= { ok: false, error: new AppError("not_found", `no tool named ${call.name}`) };
        if (signal.aborted) {
          yield done("cancelled");
          return;
        }
        if (outcome.ok) {
          yield {
            type: "agent.tool",
            callId: call.id,
            name: call.name,
            status: "finished",
            output: outcome.output,
          };
          results.push({
            type: "tool_result",
            tool_use_id: call.id,
            content: JSON.stringify(outcome.output),
          });
        } else {
          const { code, message } = outcome.error;
          yield {
            type: "agent.tool",
            callId: call.id,
            name: call.name,
            status: "failed",
            output: { code, message },
          };
          results.push({ type: "tool_result", tool_use_id: call.id, content: message, is_error: true });
        }
      }
      messages.push({ role: "user", content: results });
    }
  }

  return { name: spec.name, instructions: spec.instructions, tools: spec.tools, run };
}

function userMessage(input: AgentInput): string {
  const context = [
    input.context?.matchId === undefined ? undefined : `match ${input.context.matchId}`,
    input.context?.marketId === undefined ? undefined : `market ${input.context.marketId}`,
  ].filter((c) => c !== undefined);
  return context.length === 0 ? input.input : `${input.input}\n\nContext: ${context.join(", ")}`;
}
