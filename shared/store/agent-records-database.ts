import type { AgentRecordStore } from "./agent-records.js";
import { connectPostgres } from "./postgres-database.js";
import { migrate, type SqlDatabase, storeCall } from "./sql.js";
import { buildSqlAgentRecords } from "./sql-agent-records.js";
import { traceSql } from "./sql-tracing.js";

/** The agents' own migrations (003_agent_records.sql): tables no ledger statement needs to exist. */
export const agentRecordMigrations = new URL("./migrations/", import.meta.url);

/** The agents' records as a service that needs nothing else of the database holds them. */
export interface AgentRecordDatabase extends AgentRecordStore {
  /** Applies the agents' migrations not yet applied (safe from several processes at once). */
  migrate(): Promise<string[]>;
  /** One round trip to the database and back (readiness probes); `unavailable` when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The agents' records on `db`, which this then owns (closes). */
export function agentRecordsOn(db: SqlDatabase): AgentRecordDatabase {
  return {
    ...buildSqlAgentRecords(db),
    migrate: () => storeCall(() => migrate(db, [agentRecordMigrations])),
    ping: () => storeCall(async () => void (await db.query("SELECT 1"))),
    close: () => db.close(),
  };
}

/**
 * The agents' records on PostgreSQL (an agent worker, the market feed): a pool of
 * `maxConnections` of their own, traced like every statement (shared/store/sql-tracing.ts).
 */
export function createPostgresAgentRecords(
  databaseUrl: string,
  options: { maxConnections: number },
): AgentRecordDatabase {
  return agentRecordsOn(traceSql(connectPostgres(databaseUrl, options.maxConnections)));
}
