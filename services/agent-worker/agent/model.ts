import type { Usage } from "../../../shared/protocol/agent-frames.js";

/**
 * The conversation as the Messages API shapes it: a user turn is text or tool results, an
 * assistant turn is text and tool calls. Both providers read and write exactly these blocks, so a
 * conversation built for one is valid for the other.
 */
export interface TextBlock {
  type: "text";
  text: string;
}
export interface ToolUseBlock {
  type: "tool_use";
  /** Unique within the conversation; the matching `tool_result` names it. */
  id: string;
  name: string;
  input: unknown;
}
export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  /** The tool's output as JSON text, or the error message when `is_error`. */
  content: string;
  is_error?: boolean;
}
export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export interface ModelMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export interface ModelTool {
  name: string;
  description: string;
  /** JSON Schema of the tool's input (an object schema). */
  input_schema: Record<string, unknown>;
}

/**
 * One model call. There is no temperature: the Messages API version the SDK speaks rejects
 * sampling parameters.
 */
export interface ModelRequest {
  model: string;
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  /** `none`: the model must answer in text now (the agent's last allowed step). Default `auto`. */
  toolChoice?: "auto" | "none";
  maxTokens: number;
}

export type ModelStopReason = "end_turn" | "tool_use" | "max_tokens";

export type ModelEvent =
  | { type: "text"; text: string }
  /** A fragment of a tool call's JSON input as it streams; informational, may be absent. */
  | { type: "tool_input_delta"; id: string; partialJson: string }
  /** A complete tool call, its input parsed. */
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "message_end"; stopReason: ModelStopReason; usage: Usage };

/**
 * The model port: one streamed Messages API call. Adapters: `createAnthropicProvider` (the real
 * API) and `createOfflineProvider` (deterministic, grounded in the same tools).
 *
 * Contract:
 * - Events arrive in generation order: text and tool calls interleaved as the model wrote them,
 *   then exactly one `message_end`, after which the iterable ends. `usage` counts this call only.
 * - A `tool_use` event is yielded once its input is complete and parsed.
 * - Transient faults (rate limits, overload, a dropped or stalled stream) are retried inside the
 *   provider only while nothing has been yielded; after that, or when retries run out, the
 *   iterable throws an `AppError` (`unavailable`, retryable) so callers never see a half turn
 *   silently replayed. Faults a retry cannot fix throw `AppError("internal")`.
 * - When `signal` aborts, the call stops promptly (the HTTP stream is closed) and the iterable
 *   throws; callers tell cancellation from failure by `signal.aborted`.
 * - Providers hold no per-call state between calls: one instance serves every run of a process.
 */
export interface ModelProvider {
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent>;
}

/** Thrown by providers when their signal aborts. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError");
}
