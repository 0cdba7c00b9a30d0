import postgres from "postgres";
import { openBenchmarkDatabase } from "../../loadtest/trades/database.js";
import type { BooksReport } from "../../services/exchange/store/store.js";
import type { TradeKey } from "./trade-load.js";

/**
 * The database's word on the suite's trades, after the faults: each trade's idempotency key and
 * the trade row it points to, against what the clients were told. A trade is stored with its key
 * in one statement (services/exchange/store/trade/trade-statement.ts), so a key row names the one trade it made.
 */
export interface TradeAudit {
  /** Trades answered `filled` whose key or trade row is missing, or names another trade. */
  lost: { key: TradeKey; problem: string }[];
  /** Trades that never got an outcome. */
  unresolved: TradeKey[];
  /** Trade rows of the suite's users that no key accounts for (a trade made twice), with their time. */
  duplicated: { tradeId: string; userId: string; at: number }[];
  /** Trades answered with a final refusal that the database nevertheless stored. */
  storedButRefused: TradeKey[];
  stored: number;
  /** The store's own invariants (services/exchange/store/sql-store.ts `checkBooks`) and their violations. */
  books: BooksReport;
  violations: number;
}

export async function auditTrades(databaseUrl: string, keys: readonly TradeKey[]): Promise<TradeAudit> {
  const users = [...new Set(keys.map((k) => k.userId))];
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const database = openBenchmarkDatabase(databaseUrl);
  try {
    const keyRows = await sql<{ user_id: string; key: string; trade_id: string | null }[]>`
      SELECT user_id, key, response->>'tradeId' AS trade_id
      FROM idempotency_keys WHERE user_id = ANY(${users})`;
    const tradeRows = await sql<{ id: string; user_id: string; created_at: Date }[]>`
      SELECT id::text, user_id, created_at FROM trades WHERE user_id = ANY(${users})`;
    const storedKey = new Map(keyRows.map((r) => [`${r.user_id}\u0000${r.key}`, r.trade_id]));
    const tradeIds = new Set(tradeRows.map((r) => r.id));
    const claimed = new Set<string>();
    const audit: Omit<TradeAudit, "books" | "violations"> = {
      lost: [],
      unresolved: [],
      duplicated: [],
      storedButRefused: [],
      stored: tradeRows.length,
    };
    for (const key of keys) {
      const stored = storedKey.get(`${key.userId}\u0000${key.key}`);
      if (stored !== undefined && stored !== null) claimed.add(stored);
      if (key.outcome === undefined) audit.unresolved.push(key);
      else if (key.outcome === "filled") {
        if (stored === undefined) audit.lost.push({ key, problem: "no idempotency key stored" });
        else if (stored !== key.tradeId)
          audit.lost.push({ key, problem: `key names trade ${stored}, client was told ${key.tradeId}` });
        else if (!tradeIds.has(stored)) audit.lost.push({ key, problem: `trade row ${stored} missing` });
      } else if (stored !== undefined) audit.storedButRefused.push(key);
    }
    for (const row of tradeRows) {
      if (!claimed.has(row.id))
        audit.duplicated.push({ tradeId: row.id, userId: row.user_id, at: row.created_at.getTime() });
    }
    const { books, violations } = await database.audit();
    return { ...audit, books, violations };
  } finally {
    await Promise.all([sql.end({ timeout: 2 }), database.close()]);
  }
}
