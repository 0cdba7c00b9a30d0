import { AppError } from "../../../shared/errors.js";
import { isoTime, json, type SqlRunner } from "../../../shared/store/sql.js";
import type { MarketRecord, MarketStatus } from "./store.js";

/** The columns every market query selects (with its escrow balance), and their mapping. */
export const marketColumns = `m.id, m.match_id, m.kind, m.title, m.outcomes, m.liquidity, m.initial_quantities,
  m.sold, m.status, m.winner, m.subsidy_cents, m.closes_at, m.opened_at, a.balance_cents AS escrow_cents`;
export const marketFrom = "markets m JOIN accounts a ON a.id = m.escrow_account_id";

export interface MarketRow {
  id: string;
  match_id: string;
  kind: string;
  title: string;
  outcomes: unknown;
  liquidity: unknown;
  initial_quantities: unknown;
  sold: unknown;
  status: string;
  winner: string | null;
  subsidy_cents: unknown;
  closes_at: unknown;
  opened_at: unknown;
  escrow_cents: unknown;
}

export function toMarket(row: MarketRow): MarketRecord {
  const market: MarketRecord = {
    id: row.id,
    matchId: row.match_id,
    kind: row.kind,
    title: row.title,
    outcomes: json<string[]>(row.outcomes),
    status: row.status as MarketStatus,
    lmsr: {
      b: Number(row.liquidity),
      initial: json<number[]>(row.initial_quantities),
      sold: json<number[]>(row.sold),
    },
    subsidyCents: Number(row.subsidy_cents),
    escrowCents: Number(row.escrow_cents),
    openedAt: isoTime(row.opened_at),
  };
  if (row.winner !== null) market.winner = row.winner;
  if (row.closes_at !== null && row.closes_at !== undefined) market.closesAt = isoTime(row.closes_at);
  return market;
}

/** The market `marketId`, its row locked for the rest of the caller's transaction. */
export async function lockMarket(tx: SqlRunner, marketId: string): Promise<MarketRecord> {
  const [row] = await tx.query<MarketRow>(
    `SELECT ${marketColumns} FROM ${marketFrom} WHERE m.id = $1 FOR UPDATE OF m`,
    [marketId],
  );
  if (!row) throw new AppError("invalid_market", `no market ${marketId}`);
  return toMarket(row);
}
