import { AppError } from "../../../shared/errors.js";
import type { SqlRunner } from "../../../shared/store/sql.js";
import { type LmsrState, openLmsr, prices } from "../pricing/lmsr.js";
import { escrowAccount, houseAccount, transfer } from "./ledger.js";
import { lockMarket } from "./market-rows.js";
import type { MarketRecord } from "./store.js";

/**
 * An LMSR market moved to `target` prices in play, and the escrow that keeps it solvent.
 *
 * Holdings h_i (`sold`, hundredths) stay as they are; the quantities become q'_i = b·ln p_i (the
 * target, clamped and normalised as `openLmsr` does), so `initial'_i = q'_i − h_i/100`, and
 * C(q') = 0. A later trade moving q' to q'' adds Δ_i = q''_i − q'_i shares to outcome i and pays
 * C(q'') − C(q') = C(q'') into escrow. Since C(q'') ≥ q''_i for every i, an escrow E' after the
 * reprice pays outcome i (h_i + Δ_i) whenever E' ≥ h_i − q'_i = h_i + b·ln(1/p_i). So the escrow
 * is set to R = max_i (h_i + b·ln(1/p_i)) in cents, plus the cent the rounded cost may lose, as
 * `worstCaseLossCents` does at opening (where h = 0, this is the same number).
 */
export function repricedLmsr(
  state: LmsrState,
  target: readonly number[],
): { lmsr: LmsrState; escrowCents: number } {
  if (target.length !== state.sold.length) throw new RangeError("one price per outcome");
  const quantities = openLmsr(state.b, target).initial;
  const lmsr: LmsrState = {
    b: state.b,
    initial: quantities.map((q, i) => q - (state.sold[i] ?? 0) / 100),
    sold: state.sold,
  };
  const escrowCents = Math.max(...quantities.map((q, i) => (state.sold[i] ?? 0) + Math.ceil(-q * 100))) + 1;
  return { lmsr, escrowCents };
}

/**
 * Reprices one market inside the caller's transaction: locks the market row (serialising it with
 * trades and settlement), writes the new quantities and a price point, and moves the difference
 * between the escrow and R (see `repricedLmsr`) from the house or back to it: one balanced
 * transfer, so the books stay balanced and every outcome stays covered.
 */
export async function repriceInTransaction(
  tx: SqlRunner,
  marketId: string,
  target: readonly number[],
): Promise<MarketRecord> {
  const market = await lockMarket(tx, marketId);
  if (market.status !== "open" && market.status !== "suspended")
    throw new AppError("market_closed", `market ${marketId} is ${market.status}`);

  const { lmsr, escrowCents } = repricedLmsr(market.lmsr, target);
  const escrow = escrowAccount(marketId);
  const difference = escrowCents - market.escrowCents;
  if (difference > 0)
    await transfer(tx, {
      from: houseAccount,
      to: escrow,
      cents: difference,
      reason: "reprice",
      reference: marketId,
    });
  else if (difference < 0)
    await transfer(tx, {
      from: escrow,
      to: houseAccount,
      cents: -difference,
      reason: "reprice",
      reference: marketId,
    });
  await tx.query("UPDATE markets SET initial_quantities = $2::text::jsonb WHERE id = $1", [
    marketId,
    JSON.stringify(lmsr.initial),
  ]);
  await tx.query("INSERT INTO price_history (market_id, prices) VALUES ($1, $2::text::jsonb)", [
    marketId,
    JSON.stringify(prices(lmsr)),
  ]);
  return { ...market, lmsr, escrowCents };
}
