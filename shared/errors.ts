/**
 * The one registry of error codes of the public protocol (docs/protocol.md "Error codes"), with the
 * HTTP status each maps to and whether a client may retry. Errors cross process boundaries as
 * data (`ErrorData`) and are rebuilt typed with `AppError.from`; nothing matches message text.
 */
export const errorRegistry = {
  bad_request: { status: 400, retryable: false },
  unknown_type: { status: 400, retryable: false },
  too_large: { status: 413, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  rate_limited: { status: 429, retryable: true },
  // Not retryable as such: another socket only fits once the user closes one of theirs.
  too_many_sockets: { status: 429, retryable: false },
  overloaded: { status: 503, retryable: true },
  unavailable: { status: 503, retryable: true },
  internal: { status: 500, retryable: false },
  // A socket or stream that could not keep up: it ends (close 4008 on a WebSocket) and the client
  // reconnects and resumes. Never an HTTP status of its own (the stream was answered 200); 4xx
  // because the client fell behind, not the server.
  slow_consumer: { status: 429, retryable: true },
  insufficient_funds: { status: 402, retryable: false },
  market_closed: { status: 409, retryable: false },
  price_moved: { status: 409, retryable: true },
  invalid_market: { status: 422, retryable: false },
  invalid_outcome: { status: 422, retryable: false },
  invalid_shares: { status: 422, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorRegistry;
export const errorCodes = Object.keys(errorRegistry) as ErrorCode[];

/** An error as it travels in a frame, an HTTP body or a NATS reply. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable?: boolean;
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
  }

  get status(): number {
    return errorRegistry[this.code].status;
  }

  get retryable(): boolean {
    return errorRegistry[this.code].retryable;
  }

  toData(): ErrorData {
    const data: ErrorData = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.retryAfterMs !== undefined) data.retryAfterMs = this.retryAfterMs;
    return data;
  }

  /** Rebuilds an error from data; an unknown code becomes `internal` rather than trusting the peer. */
  static from(data: { code?: unknown; message?: unknown; retryAfterMs?: unknown }): AppError {
    const code = isErrorCode(data.code) ? data.code : "internal";
    const message = typeof data.message === "string" ? data.message : "unknown error";
    const retryAfterMs = typeof data.retryAfterMs === "number" ? data.retryAfterMs : undefined;
    return new AppError(code, message, retryAfterMs === undefined ? {} : { retryAfterMs });
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorRegistry, value);
}

/** Any thrown value as an AppError: ours pass through, anything else is an internal fault. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("internal", "internal error", { cause: err });
}
