import postgres from "postgres";
import { createPostgresStore } from "../../services/exchange/store/postgres-store.js";
import type { BooksReport } from "../../services/exchange/store/store.js";
import { baselineTable } from "./baseline.js";

/**
 * The benchmark's own view of its deployment's database: the baseline's table, the server
 * processes that serve this database (for CPU accounting), and the audit of the books.
 */
export interface BenchmarkDatabase {
  /** Creates the baseline table with rows 0 … rows − 1. */
  createBaselineTable(rows: number): Promise<void>;
  /** Pids of the PostgreSQL backends connected to this database right now. */
  backendPids(): Promise<number[]>;
  /** The store's `checkBooks()` and the number of violations it found (must be 0). */
  audit(): Promise<{ books: BooksReport; violations: number }>;
  close(): Promise<void>;
}

export function openBenchmarkDatabase(databaseUrl: string): BenchmarkDatabase {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const store = createPostgresStore(databaseUrl, { maxConnections: 1 });
  return {
    async createBaselineTable(rows) {
      await sql.unsafe(`CREATE TABLE IF NOT EXISTS ${baselineTable} (id int PRIMARY KEY, n int8 NOT NULL)`);
      await sql.unsafe(
        `INSERT INTO ${baselineTable} (id, n) SELECT g, 0 FROM generate_series(0, $1::int - 1) g ON CONFLICT DO NOTHING`,
        [rows],
      );
    },
    async backendPids() {
      const rows = await sql.unsafe<{ pid: number }[]>(
        `SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      return rows.map((r) => r.pid);
    },
    async audit() {
      const books = await store.checkBooks();
      return { books, violations: booksViolations(books) };
    },
    async close() {
      await Promise.all([sql.end({ timeout: 2 }), store.close()]);
    },
  };
}

/** How many of the ledger's invariants `books` breaks: 0 when the books balance. */
export function booksViolations(books: BooksReport): number {
  return (
    (books.ledgerSumCents === 0 ? 0 : 1) +
    books.accountsOffLedger +
    books.negativeBalances +
    books.underfundedMarkets.length +
    books.positionsOffTrades
  );
}
