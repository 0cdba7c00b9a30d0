import { AppError } from "../../../shared/errors.js";
import type { SqlRunner } from "../../../shared/store/sql.js";

export const houseAccount = "house";
export const userAccount = (userId: string) => `user:${userId}`;
export const escrowAccount = (marketId: string) => `escrow:${marketId}`;

/**
 * Moves `cents` (> 0) from one account to another inside the caller's transaction: two entries of
 * one transfer, summing to zero, and both balances. The debit is guarded so a user or escrow
 * account never goes below zero: that is `insufficient_funds`, and the caller's transaction rolls
 * back. Returns the balances after.
 */
export async function transfer(
  tx: SqlRunner,
  move: { from: string; to: string; cents: number; reason: string; reference?: string },
): Promise<{ fromBalance: number; toBalance: number }> {
  if (!Number.isSafeInteger(move.cents) || move.cents <= 0)
    throw new RangeError(`bad transfer of ${move.cents} cents`);
  const debited = await tx.query<{ balance_cents: unknown }>(
    `UPDATE accounts SET balance_cents = balance_cents - $2
     WHERE id = $1 AND (kind = 'house' OR balance_cents >= $2) RETURNING balance_cents`,
    [move.from, move.cents],
  );
  if (debited.length === 0) throw new AppError("insufficient_funds", "not enough credits");
  const credited = await tx.query<{ balance_cents: unknown }>(
    "UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1 RETURNING balance_cents",
    [move.to, move.cents],
  );
  if (credited.length === 0) throw new Error(`no account ${move.to}`);
  await tx.query(
    `WITH t AS (SELECT nextval('ledger_transfer_id') AS id)
     INSERT INTO ledger_entries (transfer_id, account_id, amount_cents, reason, reference)
     SELECT t.id, x.account_id, x.amount, $4, $5 FROM t,
       (VALUES ($1::text, -$3::int8), ($2::text, $3::int8)) AS x (account_id, amount)`,
    [move.from, move.to, move.cents, move.reason, move.reference ?? null],
  );
  return { fromBalance: Number(debited[0]?.balance_cents), toBalance: Number(credited[0]?.balance_cents) };
}

/** Looks up a key's stored answer; `bad_request` when the key was used for another request. */
export async function storedAnswer<T>(
  tx: SqlRunner,
  userId: string,
  key: string | undefined,
  request: unknown,
): Promise<T | undefined> {
  if (key === undefined) return undefined;
  const rows = await tx.query<{ request: unknown; response: T }>(
    "SELECT request, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
    [userId, key],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (canonical(row.request) !== canonical(request))
    throw new AppError("bad_request", "idempotency key already used for a different request");
  return row.response;
}

export async function storeAnswer(
  tx: SqlRunner,
  userId: string,
  key: string | undefined,
  request: unknown,
  response: unknown,
): Promise<void> {
  if (key === undefined) return;
  await tx.query(
    "INSERT INTO idempotency_keys (user_id, key, request, response) VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb)",
    [userId, key, JSON.stringify(request), JSON.stringify(response)],
  );
}

/** JSON with sorted keys: jsonb does not keep the order in which keys were written. */
export function canonical(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}
