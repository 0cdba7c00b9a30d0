/** Reconnect delays (docs/protocol.md "WebSocket": on 1012 or a lost network, back off and resume). */
export interface BackoffOptions {
  /** The first delay; each failed attempt doubles it. */
  baseMs: number;
  /** The longest delay after a lost network. */
  maxMs: number;
  /** The longest delay after a drain (1012): the other gateways are up, so come back soon. */
  drainMaxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, maxMs: 15_000, drainMaxMs: 1_000 };

/**
 * The delay before reconnect attempt `attempt` (0 first): exponential up to the ceiling, then
 * jittered to between half and all of it, so the clients of a drained gateway do not all come
 * back in the same millisecond.
 */
export function reconnectDelayMs(options: BackoffOptions, attempt: number, drained: boolean): number {
  const ceiling = drained ? options.drainMaxMs : options.maxMs;
  const exponential = Math.min(ceiling, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exponential * (0.5 + Math.random() / 2));
}
