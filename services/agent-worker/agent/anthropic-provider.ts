import { setTimeout as sleep } from "node:timers/promises";
import Anthropic, { APIConnectionError, APIError } from "@anthropic-ai/sdk";
import type {
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from "@anthropic-ai/sdk/resources/messages";
import { AppError } from "../../../shared/errors.js";
import type { Usage } from "../../../shared/protocol/agent-frames.js";
import {
  abortError,
  type ModelEvent,
  type ModelProvider,
  type ModelRequest,
  type ModelStopReason,
} from "./model.js";

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Messages API base URL; empty or absent: Anthropic's. */
  baseURL?: string;
  /** A stream (or a wait for its response) silent this long is aborted as a transient fault. */
  stallMs: number;
  /** Retries of a call that failed transiently before yielding anything. Default 2. */
  maxRetries?: number;
  /** First backoff; doubles per retry unless the API names a delay. Default 500 ms. */
  retryBaseMs?: number;
}

/** The longest a `retry-after` from the API may hold a run. */
const maxRetryDelayMs = 30_000;
/** Error types of a mid-stream `error` event that a new request may not meet again. */
const transientTypes = new Set(["overloaded_error", "api_error", "rate_limit_error", "timeout_error"]);

/**
 * The Messages API over `@anthropic-ai/sdk` (`messages.create({ stream: true })`). The SDK's own
 * retries are off: they cover only the wait for response headers, while this adapter must also
 * retry a stream that fails or stalls before its first token — and never one after it. The SDK
 * has no stall timeout; a watchdog here aborts a call whose stream goes quiet for `stallMs` (time
 * spent waiting on the consumer does not count). `ping` events are consumed inside the SDK and
 * do not keep a call alive.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: 0,
  });
  const maxRetries = options.maxRetries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 500;

  async function* attempt(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelEvent> {
    // An already-aborted signal fires no "abort" event: without this the call would run to its end.
    if (signal.aborted) throw abortError(signal);
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener("abort", forward, { once: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      watchdog = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, options.stallMs);
    };
    const stallError = (cause?: unknown) =>
      new AppError("unavailable", `the model stream stalled for ${options.stallMs} ms`, { cause });
    try {
      arm();
      const stream = await client.messages.create(toParams(request), { signal: controller.signal });
      const usage: Usage = { inputTokens: 0, outputTokens: 0 };
      const tools = new Map<number, { id: string; name: string; json: string }>();
      let stopReason: ModelStopReason = "end_turn";
      for await (const event of stream) {
        clearTimeout(watchdog);
        for (const out of translate(event, tools, usage, (reason) => (stopReason = reason))) yield out;
        if (event.type === "message_stop") {
          yield { type: "message_end", stopReason, usage };
          return;
        }
        arm();
      }
      // The SDK ends the iteration quietly when its request is aborted.
      if (stalled) throw stallError();
      if (signal.aborted) throw abortError(signal);
      throw new AppError("unavailable", "the model stream ended before message_stop");
    } catch (err) {
      if (stalled) throw stallError(err);
      if (signal.aborted) throw abortError(signal);
      throw err;
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener("abort", forward);
      controller.abort();
    }
  }

  return {
    async *stream(request, signal) {
      for (let retry = 0; ; retry++) {
        let yielded = false;
        try {
          for await (const event of attempt(request, signal)) {
            yielded = true;
            yield event;
          }
          return;
        } catch (err) {
          if (signal.aborted) throw abortError(signal);
          const error = toModelError(err);
          if (yielded || !error.retryable || retry >= maxRetries) throw error;
          await sleep(retryDelayMs(err, retry, retryBaseMs), undefined, { signal });
        }
      }
    },
  };
}

function toParams(request: ModelRequest): MessageCreateParamsStreaming {
  const params: MessageCreateParamsStreaming = {
    model: request.model,
    system: request.system,
    messages: request.messages as MessageCreateParamsStreaming["messages"],
    max_tokens: request.maxTokens,
    stream: true,
  };
  if (request.tools.length > 0) {
    params.tools = request.tools as MessageCreateParamsStreaming["tools"];
    params.tool_choice = { type: request.toolChoice ?? "auto" };
  }
  return params;
}

/** The port's events for one SDK event; tool calls are buffered until their block stops. */
function translate(
  event: RawMessageStreamEvent,
  tools: Map<number, { id: string; name: string; json: string }>,
  usage: Usage,
  stop: (reason: ModelStopReason) => void,
): ModelEvent[] {
  switch (event.type) {
    case "message_start": {
      const u = event.message.usage;
      usage.inputTokens =
        u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      usage.outputTokens = u.output_tokens;
      return [];
    }
    case "content_block_start": {
      const block = event.content_block;
      if (block.type === "tool_use") tools.set(event.index, { id: block.id, name: block.name, json: "" });
      return block.type === "text" && block.text ? [{ type: "text", text: block.text }] : [];
    }
    case "content_block_delta": {
      const delta = event.delta;
      if (delta.type === "text_delta") return [{ type: "text", text: delta.text }];
      const tool = tools.get(event.index);
      if (delta.type !== "input_json_delta" || !tool) return [];
      tool.json += delta.partial_json;
      return [{ type: "tool_input_delta", id: tool.id, partialJson: delta.partial_json }];
    }
    case "content_block_stop": {
      const tool = tools.get(event.index);
      if (!tool) return [];
      tools.delete(event.index);
      return [{ type: "tool_use", id: tool.id, name: tool.name, input: parseInput(tool.json) }];
    }
    case "message_delta":
      stop(toStopReason(event.delta.stop_reason));
      usage.outputTokens = event.usage.output_tokens;
      if (typeof event.usage.input_tokens === "number") usage.inputTokens = event.usage.input_tokens;
      return [];
    default:
      return [];
  }
}

/**
 * A tool input cut off by `max_tokens` is not JSON: it is passed on as the raw text, which the
 * tool's validation rejects if the agent ever runs it.
 */
function parseInput(json: string): unknown {
  if (json === "") return {};
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

function toStopReason(reason: string | null): ModelStopReason {
  if (reason === "tool_use") return "tool_use";
  if (reason === "max_tokens" || reason === "model_context_window_exceeded") return "max_tokens";
  return "end_turn";
}

/** SDK and network failures as the port's errors: transient ones `unavailable`, the rest `internal`. */
function toModelError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const transient =
    err instanceof APIConnectionError ||
    (err instanceof APIError &&
      (err.status === undefined
        ? err.type === null || transientTypes.has(err.type)
        : err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500)) ||
    // undici reports a connection dropped mid-body as a TypeError ("terminated").
    err instanceof TypeError;
  if (transient)
    return new AppError("unavailable", "the model is busy or unreachable; try again", { cause: err });
  const what = err instanceof APIError ? ` (${err.status ?? err.type})` : "";
  return new AppError("internal", `the model request failed${what}`, { cause: err });
}

function retryDelayMs(err: unknown, retry: number, baseMs: number): number {
  const headers = err instanceof APIError ? err.headers : undefined;
  const afterMs = Number(headers?.get("retry-after-ms") ?? Number.NaN);
  const afterS = Number(headers?.get("retry-after") ?? Number.NaN);
  const named = Number.isFinite(afterMs) ? afterMs : Number.isFinite(afterS) ? afterS * 1000 : undefined;
  if (named !== undefined) return Math.min(Math.max(named, 0), maxRetryDelayMs);
  // Jitter keeps many runs that failed together from retrying together.
  return Math.min(baseMs * 2 ** retry * (0.75 + Math.random() * 0.5), maxRetryDelayMs);
}
