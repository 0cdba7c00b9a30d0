import { AppError } from "../../../../shared/errors.js";
import { canonical } from "../ledger.js";
import type { TradeRequest } from "../store.js";

/**
 * What makes two trade requests with one idempotency key the same request: a key used again
 * for the same request answers with the stored first answer, for another it is refused.
 */
export function fingerprintOf(request: TradeRequest) {
  return {
    op: "trade",
    marketId: request.marketId,
    outcome: request.outcome,
    side: request.side,
    hundredths: request.hundredths,
    maxCostCents: request.maxCostCents ?? null,
    minProceedsCents: request.minProceedsCents ?? null,
  };
}

/** Whether `stored` (a key's stored request) is `request`'s fingerprint. */
export function sameRequest(stored: unknown, request: TradeRequest): boolean {
  return canonical(stored) === canonical(fingerprintOf(request));
}

export function keyReused(): AppError {
  return new AppError("bad_request", "idempotency key already used for a different request");
}
