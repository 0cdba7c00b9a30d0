import { type Static, Type as T } from "@sinclair/typebox";
import { errorCodes } from "../errors.js";

/**
 * The frames of an agent run's stream (docs/protocol.md "Agent runs"), without the `id`/`requestId`
 * the gateway adds for a client. Workers publish them as `AgentChunk`s with a per-run `seq`
 * starting at 1; a run ends with exactly one terminal frame (`agent.done` or `agent.error`).
 */
export const Usage = T.Object({
  inputTokens: T.Integer({ minimum: 0 }),
  outputTokens: T.Integer({ minimum: 0 }),
});
export type Usage = Static<typeof Usage>;

export const AgentDelta = T.Object({ type: T.Literal("agent.delta"), text: T.String() });
export const AgentTool = T.Object({
  type: T.Literal("agent.tool"),
  callId: T.String(),
  name: T.String(),
  status: T.Union([T.Literal("started"), T.Literal("finished"), T.Literal("failed")]),
  input: T.Optional(T.Unknown()),
  output: T.Optional(T.Unknown()),
});
/**
 * A trade an agent asks the user to confirm before placing it: only in runs whose client opted in
 * (`agent.run` `confirmTrades: true`). Answered by the client's `agent.confirm.reply` with the
 * same `confirmId`; no answer within `timeoutMs` declines it (docs/protocol.md "Agent runs").
 */
export const AgentConfirm = T.Object({
  type: T.Literal("agent.confirm"),
  confirmId: T.String(),
  marketId: T.String(),
  title: T.String(),
  outcome: T.String(),
  side: T.Union([T.Literal("buy"), T.Literal("sell")]),
  shares: T.Number(),
  /** A buy's most cost, a sell's least proceeds: the trade fills at this or better, or not at all. */
  cost: T.Number(),
  avgPrice: T.Number(),
  timeoutMs: T.Integer({ minimum: 1 }),
});
export const AgentRestart = T.Object({
  type: T.Literal("agent.restart"),
  attempt: T.Integer({ minimum: 1 }),
});
export const StopReason = T.Union([T.Literal("end_turn"), T.Literal("max_tokens"), T.Literal("cancelled")]);
export type StopReason = Static<typeof StopReason>;
export const AgentDone = T.Object({ type: T.Literal("agent.done"), stopReason: StopReason, usage: Usage });
export const AgentErrorFrame = T.Object({
  type: T.Literal("agent.error"),
  code: T.Union(errorCodes.map((c) => T.Literal(c))),
  message: T.String(),
  retryable: T.Boolean(),
});

export const AgentEvent = T.Union([
  AgentDelta,
  AgentTool,
  AgentConfirm,
  AgentRestart,
  AgentDone,
  AgentErrorFrame,
]);
export type AgentEvent = Static<typeof AgentEvent>;
export type AgentDeltaEvent = Static<typeof AgentDelta>;
export type AgentToolEvent = Static<typeof AgentTool>;
export type AgentConfirmEvent = Static<typeof AgentConfirm>;
export type AgentDoneEvent = Static<typeof AgentDone>;
export type AgentErrorEvent = Static<typeof AgentErrorFrame>;

/** One published piece of a run's stream. */
export type AgentChunk = AgentEvent & { seq: number };

export function isTerminal(event: AgentEvent): event is AgentDoneEvent | AgentErrorEvent {
  return event.type === "agent.done" || event.type === "agent.error";
}
