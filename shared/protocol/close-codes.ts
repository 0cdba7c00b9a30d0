/**
 * The WebSocket close codes of the protocol (docs/protocol.md "Close codes"), one module for the
 * gateway (which closes with them) and the client library (which reads them; the desk gets it
 * inside `/client.js`).
 *
 * Codes 1000–2999 are RFC 6455's. The range of one of ours tells a client what to do without
 * knowing the code (as Centrifuge's do): 4000–4499 the server ended this connection, reconnect
 * with backoff and resume; 4500–4999 terminal, do not reconnect.
 */
export const closeCodes = Object.freeze({
  /** The peer stayed silent for two heartbeats. */
  goingAway: 1001,
  /** Persistent abuse (too many frames) or a token for another user. */
  policyViolation: 1008,
  /** A client frame over the frame limit. */
  tooLarge: 1009,
  /** The gateway drains: reconnect soon and resume. */
  serviceRestart: 1012,
  /** The token expired without a refresh: renew it, then reconnect. */
  tokenExpired: 4001,
  /** The socket could not keep up with events that must not be dropped. */
  slowConsumer: 4008,
});

/** Our own codes by what a client should do (inclusive bounds). */
export const closeRanges = Object.freeze({
  reconnect: Object.freeze({ from: 4000, to: 4499 }),
  terminal: Object.freeze({ from: 4500, to: 4999 }),
});

/** Whether a client must not reconnect after this close. */
export function isTerminalClose(code: number): boolean {
  return code >= closeRanges.terminal.from && code <= closeRanges.terminal.to;
}
