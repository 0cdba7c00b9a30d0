import { AppError } from "../errors.js";
import { buy, prices, sell } from "../markets/lmsr.js";
import { escrowAccount, storeAnswer, storedAnswer, transfer, userAccount } from "./ledger.js";
import { isoTime, type MarketRow, marketColumns, marketFrom, toMarket } from "./market-rows.js";
import type { SqlRunner } from "./sql.js";
import type { TradeRecord, TradeRequest } from "./store.js";

/**
 * One trade, inside the caller's transaction: lock the market row (serialising its trades),
 * price the trade with the LMSR, move cash between the user and the market's escrow, update the
 * position and the market's state, and record the trade, its price point and its idempotency key.
 */
export async function tradeInTransaction(tx: SqlRunner, request: TradeRequest): Promise<TradeRecord> {
  const fingerprint = {
    op: "trade",
    marketId: request.marketId,
    outcome: request.outcome,
    side: request.side,
    hundredths: request.hundredths,
    maxCostCents: request.maxCostCents ?? null,
    minProceedsCents: request.minProceedsCents ?? null,
  };
  const stored = await storedAnswer<TradeRecord>(tx, request.userId, request.idempotencyKey, fingerprint);
  if (stored) return { ...stored, replayed: true };

  const row = (
    await tx.query<MarketRow>(`SELECT ${marketColumns} FROM ${marketFrom} WHERE m.id = $1 FOR UPDATE OF m`, [
      request.marketId,
    ])
  )[0];
  if (!row) throw new AppError("invalid_market", `no market ${request.marketId}`);
  const market = toMarket(row);
  if (market.status !== "open")
    throw new AppError("market_closed", `market ${market.id} is ${market.status}`);
  const index = market.outcomes.indexOf(request.outcome);
  if (index < 0) throw new AppError("invalid_outcome", `${market.id} has no outcome ${request.outcome}`);

  const held = (
    await tx.query<{ shares: unknown; cost_cents: unknown }>(
      "SELECT shares, cost_cents FROM positions WHERE user_id = $1 AND market_id = $2 AND outcome = $3 FOR UPDATE",
      [request.userId, market.id, request.outcome],
    )
  )[0];
  const heldHundredths = held ? Number(held.shares) : 0;
  const heldCost = held ? Number(held.cost_cents) : 0;

  let fill: ReturnType<typeof buy>;
  let balance: number;
  let position: { hundredths: number; costCents: number };
  if (request.side === "buy") {
    fill = buy(market.lmsr, index, request.hundredths);
    if (request.maxCostCents !== undefined && fill.cents > request.maxCostCents)
      throw new AppError(
        "price_moved",
        `the cost is ${cents(fill.cents)}, above maxCost ${cents(request.maxCostCents)}`,
      );
    balance = await move(tx, userAccount(request.userId), escrowAccount(market.id), fill.cents, market.id);
    position = { hundredths: heldHundredths + request.hundredths, costCents: heldCost + fill.cents };
  } else {
    if (heldHundredths < request.hundredths)
      throw new AppError("invalid_shares", `you hold ${heldHundredths / 100} shares of ${request.outcome}`);
    fill = sell(market.lmsr, index, request.hundredths);
    if (request.minProceedsCents !== undefined && fill.cents < request.minProceedsCents)
      throw new AppError(
        "price_moved",
        `the proceeds are ${cents(fill.cents)}, below minProceeds ${cents(request.minProceedsCents)}`,
      );
    balance = await move(
      tx,
      escrowAccount(market.id),
      userAccount(request.userId),
      fill.cents,
      market.id,
      true,
    );
    const left = heldHundredths - request.hundredths;
    // The cost basis shrinks in proportion to the shares sold, so avgCost is unchanged by a sell.
    position = {
      hundredths: left,
      costCents: left === 0 ? 0 : Math.round((heldCost * left) / heldHundredths),
    };
  }

  const newPrices = prices(fill.after);
  await tx.query("UPDATE markets SET sold = $2::text::jsonb WHERE id = $1", [
    market.id,
    JSON.stringify(fill.after.sold),
  ]);
  await tx.query(
    `INSERT INTO positions (user_id, market_id, outcome, shares, cost_cents) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id, market_id, outcome) DO UPDATE SET shares = $4, cost_cents = $5`,
    [request.userId, market.id, request.outcome, position.hundredths, position.costCents],
  );
  const trade = (
    await tx.query<{ id: unknown; created_at: unknown }>(
      `INSERT INTO trades (user_id, market_id, outcome, side, shares, cost_cents)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
      [request.userId, market.id, request.outcome, request.side, request.hundredths, fill.cents],
    )
  )[0];
  await tx.query("INSERT INTO price_history (market_id, prices) VALUES ($1, $2::text::jsonb)", [
    market.id,
    JSON.stringify(newPrices),
  ]);
  await assertEscrowCovers(tx, market.id, fill.after.sold);

  const record: TradeRecord = {
    tradeId: String(trade?.id),
    userId: request.userId,
    marketId: market.id,
    outcome: request.outcome,
    side: request.side,
    hundredths: request.hundredths,
    cents: fill.cents,
    at: isoTime(trade?.created_at),
    balanceCents: balance,
    position,
    prices: newPrices,
  };
  await storeAnswer(tx, request.userId, request.idempotencyKey, fingerprint, record);
  return record;
}

/** Moves cash for a trade and returns the user's balance after; a zero-cent fill moves nothing. */
async function move(
  tx: SqlRunner,
  from: string,
  to: string,
  amount: number,
  marketId: string,
  toUser = false,
): Promise<number> {
  const user = toUser ? to : from;
  if (amount === 0) {
    const row = (
      await tx.query<{ balance_cents: unknown }>("SELECT balance_cents FROM accounts WHERE id = $1", [user])
    )[0];
    if (!row) throw new AppError("insufficient_funds", "no wallet");
    return Number(row.balance_cents);
  }
  const after = await transfer(tx, { from, to, cents: amount, reason: "trade", reference: marketId });
  return toUser ? after.toBalance : after.fromBalance;
}

/**
 * The LMSR bound guarantees the escrow can pay any outcome; checking it on every trade turns a
 * pricing bug into a refused trade instead of a market that cannot settle.
 */
async function assertEscrowCovers(tx: SqlRunner, marketId: string, sold: readonly number[]): Promise<void> {
  const row = (
    await tx.query<{ balance_cents: unknown }>("SELECT balance_cents FROM accounts WHERE id = $1", [
      escrowAccount(marketId),
    ])
  )[0];
  if (Number(row?.balance_cents) < Math.max(...sold))
    throw new AppError("internal", `escrow of ${marketId} would not cover its payouts`);
}

function cents(value: number): string {
  return (value / 100).toFixed(2);
}
