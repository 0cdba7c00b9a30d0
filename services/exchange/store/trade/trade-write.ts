import { isoTime } from "../../../../shared/store/sql.js";
import { prices } from "../../pricing/lmsr.js";
import { priceTrade } from "../../pricing/price-trade.js";
import type { TradeRecord, TradeRequest } from "../store.js";
import type { MarketVersion } from "./market-version.js";
import { alertLevels, firedAlerts } from "./trade-alerts.js";
import { fingerprintOf } from "./trade-idempotency.js";
import { refusal } from "./trade-refusals.js";
import { type SendStatement, tradeStatement, type WrittenRow } from "./trade-statement.js";

/**
 * Writes a trade priced at the market version `at`, provided the market row is still that
 * version: prices it with `priceTrade` (pricing/price-trade.ts, the rules a quote is priced by
 * too), builds its one statement (trade-statement.ts) and has `send` run it. The record and the
 * row's new version, or undefined when the row has moved on (nothing was written).
 *
 * One statement is atomic on its own, and the version check serialises every trade of a market
 * as a row lock would, without holding a lock across a round trip. What the statement checks it
 * refuses by raising (migrations/004: the statement, and so each of its writes, rolls back), and
 * this throws the protocol's error (trade-refusals.ts):
 * - the user's position is updated relative to its newest version (a sell must find the shares),
 *   never from a value read earlier;
 * - the two balances move in one UPDATE guarded to stay at or above zero (both rows, or
 *   `insufficient_funds`);
 * - the escrow must still cover every outcome's payout afterwards (the LMSR bound guarantees it;
 *   checking turns a pricing bug into a refused trade instead of a market that cannot settle).
 * A concurrent twin with the same idempotency key makes the key's INSERT fail with a unique
 * violation: running the trade again finds the twin's answer (sql-store.ts `afterKeyConflict`).
 */
export async function writeTrade(
  send: SendStatement,
  request: TradeRequest,
  at: MarketVersion,
): Promise<{ record: TradeRecord; next: MarketVersion } | undefined> {
  const { market } = at;
  const fill = priceTrade(market, request);
  const pricesAfter = prices(fill.after);
  const answer = {
    userId: request.userId,
    marketId: market.id,
    outcome: request.outcome,
    side: request.side,
    hundredths: request.hundredths,
    cents: fill.cents,
    prices: pricesAfter,
  };
  let rows: unknown[];
  try {
    rows = await send(
      tradeStatement({
        ...answer,
        soldAfter: fill.after.sold,
        pricesAfter,
        version: at.version,
        idempotencyKey: request.idempotencyKey ?? null,
        fingerprint: fingerprintOf(request),
        answer,
        alertLevels: alertLevels(market.outcomes, pricesAfter),
      }),
    );
  } catch (err) {
    throw refusal(err, request) ?? err;
  }
  const written = rows[0] as WrittenRow | undefined;
  if (written === undefined) return undefined;

  return {
    record: {
      ...answer,
      tradeId: String(written.trade_id),
      at: isoTime(written.created_at),
      balanceCents: Number(written.user_balance),
      position: { hundredths: Number(written.shares), costCents: Number(written.cost_cents) },
      firedAlerts: firedAlerts(written.fired_alerts),
    },
    next: { market: { ...market, lmsr: fill.after }, version: written.version },
  };
}
