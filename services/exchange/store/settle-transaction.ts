import { AppError } from "../../../shared/errors.js";
import type { SqlRunner } from "../../../shared/store/sql.js";
import { escrowAccount, houseAccount, transfer } from "./ledger.js";
import { lockMarket } from "./market-rows.js";
import type { SettlementRecord } from "./store.js";

/**
 * Settles a market inside the caller's transaction: with the market row locked, pays every
 * holder of the winning outcome one cent per hundredth from escrow, returns what is left of the
 * escrow to the house, and marks the market settled. A market already settled is answered from
 * its settlement row and nothing moves.
 */
export async function settleInTransaction(
  tx: SqlRunner,
  marketId: string,
  winner: string,
): Promise<SettlementRecord> {
  const market = await lockMarket(tx, marketId);
  if (market.status === "settled") {
    const done = (
      await tx.query<{ winner: string; paid_cents: unknown }>(
        "SELECT winner, paid_cents FROM settlements WHERE market_id = $1",
        [marketId],
      )
    )[0];
    return {
      marketId,
      winner: done?.winner ?? "",
      paidCents: Number(done?.paid_cents),
      holders: [],
      alreadySettled: true,
    };
  }
  if (!market.outcomes.includes(winner))
    throw new AppError("invalid_outcome", `${marketId} has no outcome ${winner}`);

  const escrow = escrowAccount(marketId);
  const holdings = await tx.query<{ user_id: string; shares: unknown }>(
    `SELECT user_id, sum(shares) FILTER (WHERE outcome = $2)::int8 AS shares
     FROM positions WHERE market_id = $1 AND shares > 0 GROUP BY user_id ORDER BY user_id`,
    [marketId, winner],
  );
  const holders: SettlementRecord["holders"] = [];
  let paidCents = 0;
  // In user-id order, so that concurrent settlements lock shared users in the same order.
  for (const holding of holdings) {
    const payout = Number(holding.shares ?? 0);
    let balance: number;
    if (payout > 0) {
      balance = (
        await transfer(tx, {
          from: escrow,
          to: `user:${holding.user_id}`,
          cents: payout,
          reason: "payout",
          reference: marketId,
        })
      ).toBalance;
      paidCents += payout;
    } else {
      const account = await tx.query<{ balance_cents: unknown }>(
        "SELECT balance_cents FROM accounts WHERE id = $1",
        [`user:${holding.user_id}`],
      );
      balance = Number(account[0]?.balance_cents);
    }
    holders.push({ userId: holding.user_id, payoutCents: payout, balanceCents: balance });
  }

  const left = Number(
    (
      await tx.query<{ balance_cents: unknown }>("SELECT balance_cents FROM accounts WHERE id = $1", [escrow])
    )[0]?.balance_cents,
  );
  if (left > 0)
    await transfer(tx, {
      from: escrow,
      to: houseAccount,
      cents: left,
      reason: "release",
      reference: marketId,
    });
  await tx.query("UPDATE markets SET status = 'settled', winner = $2, settled_at = now() WHERE id = $1", [
    marketId,
    winner,
  ]);
  await tx.query("INSERT INTO settlements (market_id, winner, paid_cents) VALUES ($1, $2, $3)", [
    marketId,
    winner,
    paidCents,
  ]);
  return { marketId, winner, paidCents, holders, alreadySettled: false };
}
