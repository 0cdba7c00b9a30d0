import { AppError } from "../../../../shared/errors.js";
import { isoTime, type SqlRunner } from "../../../../shared/store/sql.js";
import { type MarketRow, marketColumns, marketFrom, toMarket } from "../market-rows.js";
import type { TradeRecord, TradeRequest } from "../store.js";
import type { MarketVersion } from "./market-version.js";
import { keyReused, sameRequest } from "./trade-idempotency.js";

/**
 * The market at its newest version (`locked`: and its row lock, inside a transaction), or the
 * stored answer of the request's idempotency key, in one statement.
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
    if (!sameRequest(row.key_request, request)) throw keyReused();
    return { replay: { ...row.key_response, at: isoTime(row.key_response.at), replayed: true } };
  }
  if (!row) {
    // A stored answer always names an existing market: a key found here was used for another request.
    if (key !== null && (await keyUsed(runner, request.userId, key))) throw keyReused();
    throw new AppError("invalid_market", `no market ${request.marketId}`);
  }
  return { market: toMarket(row), version: row.version };
}

/** The market with its row version and the idempotency key: $1 market, $2 user, $3 key or null. */
const readMarket = `SELECT ${marketColumns}, m.xmin::text AS version, k.request AS key_request, k.response AS key_response
  FROM ${marketFrom} LEFT JOIN idempotency_keys k ON k.user_id = $2 AND k.key = $3
  WHERE m.id = $1`;
const readLocked = `${readMarket} FOR UPDATE OF m`;

async function keyUsed(tx: SqlRunner, userId: string, key: string): Promise<boolean> {
  const rows = await tx.query("SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2", [
    userId,
    key,
  ]);
  return rows.length > 0;
}
