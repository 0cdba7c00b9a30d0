import { AppError } from "../../shared/errors.js";

/**
 * The protocol's units (credits, shares: JSON numbers with at most 2 decimals) to and from the
 * ledger's integers (cents, hundredths). Binary floats cannot hold 0.07 exactly, so "at most 2
 * decimals" means "within a millionth of a whole number of hundredths".
 */
function hundredthsOf(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  const scaled = Math.round(value * 100);
  return Math.abs(value * 100 - scaled) < 1e-6 ? scaled : undefined;
}

/** Most shares one trade may move (the protocol's bound on `shares`). */
export const maxShares = 1_000_000;

export function sharesToHundredths(shares: number): number {
  const h = hundredthsOf(shares);
  if (h === undefined || h <= 0 || h > maxShares * 100)
    throw new AppError("invalid_shares", `shares must be > 0, at most ${maxShares}, with at most 2 decimals`);
  return h;
}

export function creditsToCents(credits: number, field: string): number {
  const c = hundredthsOf(credits);
  if (c === undefined || c < 0 || !Number.isSafeInteger(c))
    throw new AppError(
      "bad_request",
      `${field} must be a non-negative amount of credits with at most 2 decimals`,
    );
  return c;
}

/** Cents (or hundredths) as a protocol number with 2 decimals. */
export function toCredits(cents: number): number {
  return Math.round(cents) / 100;
}

/** A probability for the protocol: 4 decimals, kept strictly inside (0, 1). */
export function toPrice(p: number): number {
  return Math.min(0.9999, Math.max(0.0001, Math.round(p * 10_000) / 10_000));
}

/** Credits per share, 4 decimals (avgPrice, avgCost). */
export function perShare(cents: number, hundredths: number): number {
  return hundredths === 0 ? 0 : Math.round((cents / hundredths) * 10_000) / 10_000;
}
