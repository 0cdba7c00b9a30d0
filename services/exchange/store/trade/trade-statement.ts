import type { Side } from "../../../../shared/protocol/common.js";
import type { PipelinedStatement } from "../../../../shared/store/sql.js";
import { alertColumns, priceAlertReached } from "../../../../shared/store/sql-agent-records.js";
import { escrowAccount, userAccount } from "../ledger.js";

/** A trade's write statement, with the market and user whose rows it writes (what a batch locks). */
export interface TradeStatement extends PipelinedStatement {
  marketId: string;
  userId: string;
}

/** Runs a trade's statement: alone on a connection, in a transaction, or in a batch. */
export type SendStatement = (statement: TradeStatement) => Promise<unknown[]>;

/** Everything a trade writes, decided before the statement runs. */
export interface TradeWrite {
  userId: string;
  marketId: string;
  outcome: string;
  side: Side;
  hundredths: number;
  /** What the buy cost or the sell fetched. */
  cents: number;
  /** The market's LMSR `sold` after the trade, and its prices. */
  soldAfter: readonly number[];
  pricesAfter: readonly number[];
  /** The market row's version the trade was priced at: the statement writes only on it. */
  version: string;
  idempotencyKey: string | null;
  /** The request's fingerprint, stored with its key (trade-idempotency.ts). */
  fingerprint: unknown;
  /** The answer without what the statement creates (trade id, time, balance, position). */
  answer: unknown;
  /** The prices after as alert levels (outcome → ten-thousandths): the alerts they reach fire. */
  alertLevels: Record<string, number>;
}

/** The row the statement returns when it wrote; none when the market row had moved on. */
export interface WrittenRow {
  fired_alerts: unknown;
  version: string;
  trade_id: unknown;
  created_at: unknown;
  user_balance: unknown;
  shares: unknown;
  cost_cents: unknown;
}

/** The statement that writes `write`, its parameters in the order `writeStatement` numbers them. */
export function tradeStatement(write: TradeWrite): TradeStatement {
  const userAccountId = userAccount(write.userId);
  return {
    marketId: write.marketId,
    userId: write.userId,
    text: writeStatements[write.side],
    params: [
      userAccountId,
      escrowAccount(write.marketId),
      write.userId,
      write.marketId,
      write.outcome,
      write.hundredths,
      write.cents,
      write.side === "buy" ? -write.cents : write.cents,
      JSON.stringify(write.soldAfter),
      JSON.stringify(write.pricesAfter),
      write.idempotencyKey,
      JSON.stringify(write.fingerprint),
      JSON.stringify(write.answer),
      Math.max(...write.soldAfter),
      write.version,
      JSON.stringify(write.alertLevels),
    ],
  };
}

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
