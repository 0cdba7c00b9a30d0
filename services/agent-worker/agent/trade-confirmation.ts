import type { AgentConfirmEvent } from "../../../shared/protocol/agent-frames.js";

/** How a run waits for its user's answers; present only when the client opted in at `agent.run`. */
export interface Confirmations {
  /** No answer this long declines the trade (`AGENT_CONFIRM_TIMEOUT_MS`). */
  timeoutMs: number;
  /** The run's `RunJob.answer`: the user's answer to `confirmId`, or a rejection when `signal` aborts. */
  answer(confirmId: string, signal: AbortSignal): Promise<boolean>;
}

/** The trade as the user is asked to confirm it: the `agent.confirm` frame without its type and timeout. */
export type TradeToConfirm = Omit<AgentConfirmEvent, "type" | "timeoutMs">;

export type ConfirmOutcome = "accepted" | "declined" | "expired";

/**
 * Asks the user to confirm one trade (docs/protocol.md "Agent runs"): the wait is registered
 * before the `agent.confirm` frame is emitted, so an answer cannot overtake it. Rejects only when
 * the run's own `signal` aborts (a cancel); silence past the timeout is `expired`.
 */
export async function askToConfirm(
  trade: TradeToConfirm,
  confirmations: Confirmations,
  signal: AbortSignal,
  emit: (event: AgentConfirmEvent) => void,
): Promise<ConfirmOutcome> {
  const timeout = AbortSignal.timeout(confirmations.timeoutMs);
  const answered = confirmations.answer(trade.confirmId, AbortSignal.any([signal, timeout]));
  emit({ type: "agent.confirm", ...trade, timeoutMs: confirmations.timeoutMs });
  try {
    return (await answered) ? "accepted" : "declined";
  } catch (err) {
    if (signal.aborted) throw err;
    return "expired";
  }
}
