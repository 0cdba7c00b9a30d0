import type { ErrorData } from "../../errors.js";

/**
 * Request/reply between services (the exchange's quote/trade/settle/deposit). Adapters:
 * `createNatsRpc` (core NATS request/reply, handlers in a queue group so several processes share
 * the load) and `createMemoryRpc` (one process). One contract suite runs against both.
 *
 * Contract:
 * - `request` resolves with the handler's reply or rejects with the `AppError` the handler threw
 *   (sent across as `ErrorData`, rebuilt typed); `unavailable` when no handler is serving the
 *   subject or none answers within `timeoutMs`; `overloaded` (at once) when the serving process
 *   is past its limits (rpc-shedding.ts), and a request whose caller gave up before its turn
 *   is dropped unhandled.
 * - At most one handler in a queue group receives each request. Delivery is at most once: a
 *   request that timed out may still have been handled, so handlers that move money must be
 *   idempotent on a key carried in the payload.
 * - Payloads are JSON; handlers validate them (they come from other processes).
 */
export interface Rpc {
  request<Reply = unknown>(
    subject: string,
    payload: unknown,
    options?: { timeoutMs?: number; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** Serves `subject` in `queue`; returns a function that stops serving (after in-flight requests finish). */
  serve(subject: string, queue: string, handler: RpcHandler): () => Promise<void>;
  close(): Promise<void>;
}

export type RpcHandler = (payload: unknown, headers: Record<string, string>) => Promise<unknown>;

/** What travels back on the wire: exactly one of the two. */
export type RpcReply = { ok: true; data: unknown } | { ok: false; error: ErrorData };
