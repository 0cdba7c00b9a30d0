import { AppError } from "../errors.js";
import { buy, prices, sell } from "../markets/lmsr.js";
import { canonical, escrowAccount, userAccount } from "./ledger.js";
import { isoTime, type MarketRow, marketColumns, marketFrom, toMarket } from "./market-rows.js";
import type { SqlRunner } from "./sql.js";
import type { Side, TradeRecord, TradeRequest } from "./store.js";

/**
 * One trade, inside the caller's transaction, in two statements: the first locks the market row
 * (serialising its trades) and reads the idempotency key with it; the trade is priced here with
 * the LMSR; the second writes everything at once. Every statement is a round trip during which a
 * hot market stays locked, so nothing else is read or written one row at a time.
 *
 * What the second statement checks it reports instead of raising, and this function throws the
 * protocol's error, which rolls the caller's transaction back:
 * - the user's position is updated relative to its newest version (a sell must find the shares),
 *   never from a value read earlier: under READ COMMITTED the first statement sees only the
 *   locked market row at its newest version, every joined row as of before it waited for the lock;
 * - the two balances move in one UPDATE guarded to stay at or above zero (both rows, or
 *   `insufficient_funds`);
 * - the escrow must still cover every outcome's payout afterwards (the LMSR bound guarantees it;
 *   checking turns a pricing bug into a refused trade instead of a market that cannot settle).
 * A concurrent twin with the same idempotency key makes the key's INSERT fail: the caller runs the
 * transaction again and finds the twin's answer (sql-store.ts `afterKeyConflict`).
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
  const key = request.idempotencyKey ?? null;
  const row = (
    await tx.query<MarketRow & { key_request: unknown; key_response: TradeRecord | null }>(
      `SELECT ${marketColumns}, k.request AS key_request, k.response AS key_response
       FROM ${marketFrom} LEFT JOIN idempotency_keys k ON k.user_id = $2 AND k.key = $3
       WHERE m.id = $1 FOR UPDATE OF m`,
      [request.marketId, request.userId, key],
    )
  )[0];
  if (row?.key_response) {
    if (canonical(row.key_request) !== canonical(fingerprint)) throw keyReused();
    return { ...row.key_response, at: isoTime(row.key_response.at), replayed: true };
  }
  if (!row) {
    // A stored answer always names an existing market: a key found here was used for another request.
    if (key !== null && (await keyUsed(tx, request.userId, key))) throw keyReused();
    throw new AppError("invalid_market", `no market ${request.marketId}`);
  }
  const market = toMarket(row);
  if (market.status !== "open")
    throw new AppError("market_closed", `market ${market.id} is ${market.status}`);
  const index = market.outcomes.indexOf(request.outcome);
  if (index < 0) throw new AppError("invalid_outcome", `${market.id} has no outcome ${request.outcome}`);

  let fill: ReturnType<typeof buy>;
  if (request.side === "buy") {
    fill = buy(market.lmsr, index, request.hundredths);
    if (request.maxCostCents !== undefined && fill.cents > request.maxCostCents)
      throw new AppError(
        "price_moved",
        `the cost is ${cents(fill.cents)}, above maxCost ${cents(request.maxCostCents)}`,
      );
  } else {
    // Nobody holds more of an outcome than the market has sold of it.
    if ((market.lmsr.sold[index] ?? 0) < request.hundredths) throw notHeld(request);
    fill = sell(market.lmsr, index, request.hundredths);
    if (request.minProceedsCents !== undefined && fill.cents < request.minProceedsCents)
      throw new AppError(
        "price_moved",
        `the proceeds are ${cents(fill.cents)}, below minProceeds ${cents(request.minProceedsCents)}`,
      );
  }

  const newPrices = prices(fill.after);
  const answer = {
    userId: request.userId,
    marketId: market.id,
    outcome: request.outcome,
    side: request.side,
    hundredths: request.hundredths,
    cents: fill.cents,
    prices: newPrices,
  };
  const userAccountId = userAccount(request.userId);
  const written = (
    await tx.query<{
      trade_id: unknown;
      created_at: unknown;
      accounts_moved: unknown;
      user_balance: unknown;
      escrow_balance: unknown;
      shares: unknown;
      cost_cents: unknown;
    }>(writeTrade[request.side], [
      userAccountId,
      escrowAccount(market.id),
      request.userId,
      market.id,
      request.outcome,
      request.hundredths,
      fill.cents,
      request.side === "buy" ? -fill.cents : fill.cents,
      JSON.stringify(fill.after.sold),
      JSON.stringify(newPrices),
      key,
      JSON.stringify(fingerprint),
      JSON.stringify(answer),
    ])
  )[0];
  if (written?.shares === null || written?.shares === undefined) throw notHeld(request);
  if (Number(written.accounts_moved) !== 2) throw new AppError("insufficient_funds", "not enough credits");
  if (Number(written.escrow_balance) < Math.max(...fill.after.sold))
    throw new AppError("internal", `escrow of ${market.id} would not cover its payouts`);

  return {
    ...answer,
    tradeId: String(written.trade_id),
    at: isoTime(written.created_at),
    balanceCents: Number(written.user_balance),
    position: { hundredths: Number(written.shares), costCents: Number(written.cost_cents) },
  };
}

/**
 * The position's new version, relative to its newest one. A buy adds shares and their cost; a
 * sell needs the shares and shrinks the cost basis in proportion to them, so avgCost is unchanged
 * by a sell (numeric `round` is Math.round on these non-negative values). No row: not held.
 */
const buyPosition = `INSERT INTO positions AS p (user_id, market_id, outcome, shares, cost_cents)
    VALUES ($3, $4, $5, $6, $7)
    ON CONFLICT (user_id, market_id, outcome)
      DO UPDATE SET shares = p.shares + excluded.shares, cost_cents = p.cost_cents + excluded.cost_cents
    RETURNING shares, cost_cents`;
const sellPosition = `UPDATE positions SET shares = shares - $6,
      cost_cents = CASE WHEN shares = $6 THEN 0 ELSE round(cost_cents::numeric * (shares - $6) / shares)::int8 END
    WHERE user_id = $3 AND market_id = $4 AND outcome = $5 AND shares >= $6
    RETURNING shares, cost_cents`;

/**
 * Every write of a trade in one statement. $1 user account, $2 escrow account, $3 user, $4
 * market, $5 outcome, $6 hundredths, $7 cents, $8 the user's cash delta (−cents to buy, +cents
 * to sell), $9 sold after, $10 prices after, $11 idempotency key or null, $12 the request's
 * fingerprint, $13 the answer without what this statement creates (trade id, time, balance,
 * position), which the stored answer gets from the rows written.
 */
function writeStatement(side: Side): string {
  return `WITH
  moved AS (
    UPDATE accounts a SET balance_cents = a.balance_cents + x.delta
    FROM (VALUES ($1::text, $8::int8), ($2::text, -$8::int8)) AS x (id, delta)
    WHERE a.id = x.id AND a.balance_cents + x.delta >= 0
    RETURNING a.id, a.balance_cents),
  transfer AS (SELECT nextval('ledger_transfer_id') AS id WHERE $8::int8 <> 0),
  entries AS (
    INSERT INTO ledger_entries (transfer_id, account_id, amount_cents, reason, reference)
    SELECT transfer.id, x.id, x.delta, 'trade', $4 FROM transfer,
      (VALUES ($1::text, $8::int8), ($2::text, -$8::int8)) AS x (id, delta)),
  market AS (UPDATE markets SET sold = $9::text::jsonb WHERE id = $4),
  held AS (${side === "buy" ? buyPosition : sellPosition}),
  trade AS (
    INSERT INTO trades (user_id, market_id, outcome, side, shares, cost_cents)
    VALUES ($3, $4, $5, '${side}', $6, $7)
    RETURNING id, created_at),
  price AS (INSERT INTO price_history (market_id, prices) VALUES ($4, $10::text::jsonb)),
  answer AS (
    INSERT INTO idempotency_keys (user_id, key, request, response)
    SELECT $3, $11, $12::text::jsonb, $13::text::jsonb || jsonb_build_object(
      'tradeId', trade.id::text, 'at', trade.created_at, 'balanceCents', mine.balance_cents,
      'position', jsonb_build_object('hundredths', held.shares, 'costCents', held.cost_cents))
    FROM trade, held, moved mine WHERE $11::text IS NOT NULL AND mine.id = $1)
SELECT trade.id AS trade_id, trade.created_at, held.shares, held.cost_cents,
  (SELECT count(*) FROM moved) AS accounts_moved,
  (SELECT balance_cents FROM moved WHERE id = $1) AS user_balance,
  (SELECT balance_cents FROM moved WHERE id = $2) AS escrow_balance
FROM trade LEFT JOIN held ON true`;
}
const writeTrade: Record<Side, string> = { buy: writeStatement("buy"), sell: writeStatement("sell") };

async function keyUsed(tx: SqlRunner, userId: string, key: string): Promise<boolean> {
  const rows = await tx.query("SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2", [
    userId,
    key,
  ]);
  return rows.length > 0;
}

function keyReused(): AppError {
  return new AppError("bad_request", "idempotency key already used for a different request");
}

function notHeld(request: TradeRequest): AppError {
  return new AppError(
    "invalid_shares",
    `you hold fewer than ${request.hundredths / 100} shares of ${request.outcome}`,
  );
}

function cents(value: number): string {
  return (value / 100).toFixed(2);
}
