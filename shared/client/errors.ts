import type { ErrorCode } from "../errors.js";

/**
 * The client's failures, one class each (docs/protocol.md "Error codes" for the server's), so a
 * program tells them apart with `instanceof`, never by reading the message.
 */

/** The platform refused a request: an `error` frame, a `trade.rejected`, or a refused channel. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly code: ErrorCode;
  /** The server's word that the same request may succeed later (`unavailable`, `overloaded`…). */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(answer: { code: ErrorCode; message: string; retryable?: boolean; retryAfterMs?: number }) {
    super(`${answer.code}: ${answer.message}`);
    this.code = answer.code;
    this.retryable = answer.retryable ?? false;
    this.retryAfterMs = answer.retryAfterMs;
  }
}

/**
 * A subscription or run whose consumer read slower than events arrived, past its buffer: what was
 * buffered was delivered, then this. Nothing after it was kept, so the stream has a gap; subscribe
 * again (with `since` = the last position read) to fill it.
 */
export class ConsumerTooSlowError extends Error {
  override readonly name = "ConsumerTooSlowError";
  constructor(readonly capacity: number) {
    super(`the consumer fell more than ${capacity} messages behind`);
  }
}

/**
 * A quote or trade unanswered within `requestTimeoutMs` (across reconnects). For a trade the
 * outcome is unknown: retry with the same `idempotencyKey` and it fills at most once.
 */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(
    readonly frameType: string,
    readonly idempotencyKey?: string,
  ) {
    super(`no answer to ${frameType} in time`);
  }
}

/** The client was closed (by `close()`, or for good by one of the errors below). */
export class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";
  constructor(readonly reason?: Error) {
    super(reason === undefined ? "the client is closed" : `the client is closed: ${reason.message}`);
  }
}

/** The gateway closed the socket with a terminal code (4500–4999, docs/protocol.md "Close codes"). */
export class ClosedByServerError extends Error {
  override readonly name = "ClosedByServerError";
  constructor(
    readonly closeCode: number,
    readonly reason: string,
  ) {
    super(`the gateway closed the connection for good (${closeCode}${reason === "" ? "" : `: ${reason}`})`);
  }
}

/** The token expired and there is no `getToken` to renew it: the client cannot go on. */
export class TokenExpiredError extends Error {
  override readonly name = "TokenExpiredError";
  constructor() {
    super("the token expired and no getToken was given to renew it");
  }
}
