import { AppError } from "../../../../shared/errors.js";
import { notHeld } from "../../pricing/price-trade.js";
import type { TradeRequest } from "../store.js";

/**
 * The protocol's error for a refusal the write statement raised (`refuse_trade`,
 * migrations/004), or undefined for any other error.
 */
export function refusal(err: unknown, request: TradeRequest): AppError | undefined {
  switch ((err as { code?: unknown })?.code) {
    case "XT001":
      return new AppError("insufficient_funds", "not enough credits");
    case "XT002":
      return notHeld(request);
    case "XT003":
      return new AppError("internal", `escrow of ${request.marketId} would not cover its payouts`);
    default:
      return undefined;
  }
}
