import { AppError } from "../errors.js";
import { buy, prices, sell } from "../markets/lmsr.js";
import { canonical, escrowAccount, userAccount } from "./ledger.js";
import { isoTime, json, type MarketRow, marketColumns, marketFrom, toMarket } from "./market-rows.js";
import type { SqlRunner } from "./sql.js";
import { type AlertRow, alertColumns, priceAlertReached, toAlert } from "./sql-agent-records.js";
import type { MarketRecord, Side, TradeRecord, TradeRequest } from "./store.js";

/**
 * A trade's two statements (trade-placement.ts runs them): `readForTrade` reads the market at its
 * newest version (`xmin`) with the idempotency key, and `writeTrade` prices the trade with the
 * LMSR and writes everything at once — provided the market row is still the version priced from.
 * One statement is atomic on its own, and the version check serialises every trade of a market
 * as a row lock would, without holding a lock across a round trip.
 *
 * What the write checks it refuses by raising (migrations/004: the statement, and so each of its
 * writes, rolls back), and `writeTrade` throws the protocol's error:
 * - the user's position is updated relative to its newest version (a sell must find the shares),
 *   never from a value read earlier;
 * - the two balances move in one UPDATE guarded to stay at or above zero (both rows, or
 *   `insufficient_funds`);
 * - the escrow must still cover every outcome's payout afterwards (the LMSR bound guarantees it;
 *   checking turns a pricing bug into a refused trade instead of a market that cannot settle).
 * A concurrent twin with the same idempotency key makes the key's INSERT fail with a unique
 * violation: running the trade again finds the twin's answer (sql-store.ts `afterKeyConflict`).
 */

/** What pricing needs of a market, at one version of its row. */
export interface MarketVersion {
  market: Pick<MarketRecord, "id" | "outcomes" | "status" | "lmsr">;
  version: string;
}

/**
 * The market at its newest version (`locked`: and its row lock, inside a transaction), or the
 * stored answer of the request's idempotency key.
 */
export async function readForTrade(
  runner: SqlRunner,
  request: TradeRequest,
  locked: boolean,
): Promise<{ replay: TradeRecord } | MarketVersion> {
  const key = request.idempotencyKey ?? null;
  const row = (
    await runner.query<
      MarketRow & { version: string; key_request: unknown; key_response: TradeRecord | null }
    >(locked ? readLocked : readMarket, [request.marketId, request.userId, key])
  )[0];
  if (row?.key_response) {
    if (canonical(row.key_request) !== canonical(fingerprintOf(request))) throw keyReused();
    return { replay: { ...row.key_response, at: isoTime(row.key_response.at), replayed: true } };
  }
  if (!row) {
    // A stored answer always names an existing market: a key found here was used for another request.
    if (key !== null && (await keyUsed(runner, request.userId, key))) throw keyReused();
    throw new AppError("invalid_market", `no market ${request.marketId}`);
  }
  return { market: toMarket(row), version: row.version };
}

/**
 * Prices the trade at `at` and writes it if the market row is still that version: the record
 * and the row's new version, or undefined when the row has moved on (nothing was written).
 */
export async function writeTrade(
  runner: SqlRunner,
  request: TradeRequest,
  at: MarketVersion,
): Promise<{ record: TradeRecord; next: MarketVersion } | undefined> {
  const { market } = at;
  const key = request.idempotencyKey ?? null;
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
  let rows: {
    fired_alerts: unknown;
    version: string;
    trade_id: unknown;
    created_at: unknown;
    user_balance: unknown;
    shares: unknown;
    cost_cents: unknown;
  }[];
  try {
    rows = await runner.query(writeStatements[request.side], [
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
      JSON.stringify(fingerprintOf(request)),
      JSON.stringify(answer),
      Math.max(...fill.after.sold),
      at.version,
      JSON.stringify(priceLevels(market.outcomes, newPrices)),
    ]);
  } catch (err) {
    throw refusal(err, request, market.id) ?? err;
  }
  const written = rows[0];
  if (written === undefined) return undefined;

  return {
    record: {
      ...answer,
      tradeId: String(written.trade_id),
      at: isoTime(written.created_at),
      balanceCents: Number(written.user_balance),
      position: { hundredths: Number(written.shares), costCents: Number(written.cost_cents) },
      firedAlerts: json<AlertRow[]>(written.fired_alerts).map(toAlert),
    },
    next: { market: { ...market, lmsr: fill.after }, version: written.version },
  };
}

/** A `market` event's price (views.ts `toPrice`: 4 decimals, within 0.0001–0.9999) × 10,000. */
function priceLevels(outcomes: readonly string[], after: readonly number[]): Record<string, number> {
  return Object.fromEntries(
    outcomes.map((o, i) => [o, Math.min(9999, Math.max(1, Math.round((after[i] ?? 0) * 10_000)))]),
  );
}

function fingerprintOf(request: TradeRequest) {
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

/** The market with its row version and the idempotency key: $1 market, $2 user, $3 key or null. */
const readMarket = `SELECT ${marketColumns}, m.xmin::text AS version, k.request AS key_request, k.response AS key_response
  FROM ${marketFrom} LEFT JOIN idempotency_keys k ON k.user_id = $2 AND k.key = $3
  WHERE m.id = $1`;
const readLocked = `${readMarket} FOR UPDATE OF m`;

/**
 * The position's new version, relative to its newest one. A buy adds shares and their cost; a
 * sell needs the shares and shrinks the cost basis in proportion to them, so avgCost is unchanged
 * by a sell (numeric `round` is Math.round on these non-negative values). No row: not held.
 */
const buyPosition = `INSERT INTO positions AS p (user_id, market_id, outcome, shares, cost_cents)
    SELECT $3::text, $4::text, $5::text, $6::int8, $7::int8 FROM market
    ON CONFLICT (user_id, market_id, outcome)
      DO UPDATE SET shares = p.shares + excluded.shares, cost_cents = p.cost_cents + excluded.cost_cents
    RETURNING shares, cost_cents`;
const sellPosition = `UPDATE positions SET shares = shares - $6::int8,
      cost_cents = CASE WHEN shares = $6::int8 THEN 0
        ELSE round(cost_cents::numeric * (shares - $6::int8) / shares)::int8 END
    FROM market
    WHERE user_id = $3 AND market_id = $4 AND outcome = $5 AND shares >= $6::int8
    RETURNING shares, cost_cents`;

/**
 * Every write of a trade in one statement. $1 user account, $2 escrow account, $3 user, $4
 * market, $5 outcome, $6 hundredths, $7 cents, $8 the user's cash delta (−cents to buy, +cents
 * to sell), $9 sold after, $10 prices after, $11 idempotency key or null, $12 the request's
 * fingerprint, $13 the answer without what this statement creates (trade id, time, balance,
 * position), which the stored answer gets from the rows written, $14 the largest payout the
 * escrow must cover afterwards, $15 the market row's version the trade was priced at, $16 the
 * prices after as alert levels (outcome → ten-thousandths): the alerts they reach fire here.
 *
 * Every write hangs off `market`, the update of that version: when the row has moved on, the
 * statement writes nothing and returns no row. Its checks, in this order, raise
 * (`refuse_trade`): the position to sell is not held, a balance would go below zero, the escrow
 * would not cover the payouts.
 */
function writeStatement(side: Side): string {
  return `WITH
  market AS (
    UPDATE markets SET sold = $9::text::jsonb WHERE id = $4 AND xmin = $15::text::xid
    RETURNING xmin::text AS version),
  moved AS (
    UPDATE accounts a SET balance_cents = a.balance_cents + x.delta
    FROM market, (VALUES ($1::text, $8::int8), ($2::text, -$8::int8)) AS x (id, delta)
    WHERE a.id = x.id AND a.balance_cents + x.delta >= 0
    RETURNING a.id, a.balance_cents),
  transfer AS (SELECT nextval('ledger_transfer_id') AS id FROM market WHERE $8::int8 <> 0),
  entries AS (
    INSERT INTO ledger_entries (transfer_id, account_id, amount_cents, reason, reference)
    SELECT transfer.id, x.id, x.delta, 'trade', $4 FROM transfer,
      (VALUES ($1::text, $8::int8), ($2::text, -$8::int8)) AS x (id, delta)),
  held AS (${side === "buy" ? buyPosition : sellPosition}),
  trade AS (
    INSERT INTO trades (user_id, market_id, outcome, side, shares, cost_cents)
    SELECT $3::text, $4::text, $5::text, '${side}', $6::int8, $7::int8 FROM market
    RETURNING id, created_at),
  price AS (INSERT INTO price_history (market_id, prices) SELECT $4::text, $10::text::jsonb FROM market),
  fired AS (
    UPDATE alerts SET fired_at = now() FROM market, jsonb_each_text($16::text::jsonb) AS p(o, bp)
    WHERE market_id = $4 AND ${priceAlertReached}
    RETURNING ${alertColumns.replace(/(\w+)/g, "alerts.$1")}),
  answer AS (
    INSERT INTO idempotency_keys (user_id, key, request, response)
    SELECT $3, $11, $12::text::jsonb, $13::text::jsonb || jsonb_build_object(
      'tradeId', trade.id::text, 'at', trade.created_at, 'balanceCents', mine.balance_cents,
      'position', jsonb_build_object('hundredths', held.shares, 'costCents', held.cost_cents))
    FROM trade, held, moved mine WHERE $11::text IS NOT NULL AND mine.id = $1)
SELECT market.version, trade.id AS trade_id,
  (SELECT coalesce(jsonb_agg(to_jsonb(fired)), '[]') FROM fired) AS fired_alerts, trade.created_at, held.shares, held.cost_cents,
  (SELECT balance_cents FROM moved WHERE id = $1) AS user_balance,
  CASE
    WHEN held.shares IS NULL THEN refuse_trade('XT002')
    WHEN (SELECT count(*) FROM moved) <> 2 THEN refuse_trade('XT001')
    WHEN (SELECT balance_cents FROM moved WHERE id = $2) < $14::int8 THEN refuse_trade('XT003')
  END AS refused
FROM market, trade LEFT JOIN held ON true`;
}
const writeStatements: Record<Side, string> = { buy: writeStatement("buy"), sell: writeStatement("sell") };

async function keyUsed(tx: SqlRunner, userId: string, key: string): Promise<boolean> {
  const rows = await tx.query("SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2", [
    userId,
    key,
  ]);
  return rows.length > 0;
}

/** The protocol's error for a refusal the write statement raised, or undefined for any other error. */
function refusal(err: unknown, request: TradeRequest, marketId: string): AppError | undefined {
  switch ((err as { code?: unknown })?.code) {
    case "XT001":
      return new AppError("insufficient_funds", "not enough credits");
    case "XT002":
      return notHeld(request);
    case "XT003":
      return new AppError("internal", `escrow of ${marketId} would not cover its payouts`);
    default:
      return undefined;
  }
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
