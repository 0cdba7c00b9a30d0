import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AppError } from "../errors.js";

/**
 * The little each database driver must provide so that both adapters run the same SQL:
 * positional parameters ($1…), rows as plain objects, and transactions. int8 columns may come
 * back as strings or numbers depending on the driver: read them with `Number`.
 */
export interface SqlRunner {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface SqlDatabase extends SqlRunner {
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Optional (a driver that pipelines): runs `statements` as one transaction sent at once —
   * BEGIN, each statement, COMMIT — without waiting between them, so one round trip and one
   * commit serve them all. A failed statement makes the rest fail and the COMMIT roll back:
   * `committed` says nothing was written; `unknown` (the connection failed before the COMMIT's
   * answer) says it may have been, and `error` is why.
   */
  pipelined?(statements: readonly PipelinedStatement[]): Promise<PipelinedOutcome>;
  close(): Promise<void>;
}

export interface PipelinedStatement {
  text: string;
  params: readonly unknown[];
}

export type PipelinedOutcome =
  | { outcome: "committed"; rows: unknown[][] }
  | { outcome: "rolled back" }
  | { outcome: "unknown"; error: unknown };

/**
 * The migration files of `folders`, merged in version order (`001_name.sql` …): the agents'
 * records and the exchange's ledger each keep their own folder, numbered as one sequence on
 * one database.
 */
export function migrationFiles(folders: readonly URL[]): { version: string; sql: string }[] {
  return folders
    .flatMap((folder) => {
      const dir = fileURLToPath(folder);
      return readdirSync(dir)
        .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
        .map((f) => ({ version: f.replace(/\.sql$/, ""), sql: readFileSync(dir + f, "utf8") }));
    })
    .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

/**
 * Applies the migrations of `folders` not yet applied, in one transaction under an advisory lock,
 * so concurrent starts are safe.
 */
export async function migrate(db: SqlDatabase, folders: readonly URL[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(7263514)");
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ version: string }>("SELECT version FROM schema_migrations")).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const m of migrationFiles(folders)) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (version) VALUES ($1)", [m.version]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** jsonb arrives parsed from both drivers; a string is tolerated for drivers that do not parse it. */
export function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

export function isoTime(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

// SQLSTATE classes and driver codes that mean "the database is not reachable", as opposed to a
// fault in our SQL: connection exceptions (08), shutdown/termination (57P), a missing database
// (3D000), too many connections (53300), a database refusing connections (55000).
const unavailableStates = /^(08|57P|3D000|53300|55000)/;
const unavailableDriverCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (unavailableStates.test(code) || unavailableDriverCodes.has(code));
}

/** Deadlocks and serialization failures: the transaction did nothing and may simply run again. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "40P01" || code === "40001";
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
  if (e?.code !== "23505") return false;
  return constraint === undefined || e.constraint_name === constraint || e.constraint === constraint;
}

/**
 * Runs `work` in a transaction, again after a deadlock (bounded), and turns a lost database into
 * `unavailable`. AppErrors thrown by `work` roll the transaction back and pass through.
 */
export async function inTransaction<T>(db: SqlDatabase, work: (tx: SqlRunner) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (isRetryable(err) && attempt < 5) continue;
      throw asStoreError(err);
    }
  }
}

/** Runs `work`, turning a lost database into `unavailable` (`asStoreError`). */
export async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asStoreError(err);
  }
}

export function asStoreError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) return new AppError("unavailable", "the database is unavailable", { cause: err });
  return err;
}
