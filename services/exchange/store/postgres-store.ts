import { connectPostgres, connectReadOnly } from "../../../shared/store/postgres-database.js";
import { createReplicaReads } from "../../../shared/store/replica-reads.js";
import { buildSqlStore } from "./sql-store.js";
import type { StoreWithRecords } from "./store.js";

export interface PostgresStoreOptions {
  maxConnections?: number;
  /**
   * A streaming replica of `databaseUrl` (DATABASE_READ_URL): market lists, price history and
   * trade history are read there, with its own pool of `maxConnections` in read-only sessions;
   * everything else stays on the primary (docs/architecture.md, "Read replica").
   */
  readUrl?: string;
}

/**
 * The Store on PostgreSQL through postgres.js (distributed mode). Each store has its own pool of
 * `maxConnections`; several processes may share one database. Call `migrate()` before use.
 */
export function createPostgresStore(
  databaseUrl: string,
  options: PostgresStoreOptions = {},
): StoreWithRecords {
  const max = options.maxConnections ?? 10;
  const primary = connectPostgres(databaseUrl, max);
  const replica = options.readUrl ? connectReadOnly(options.readUrl, max) : undefined;
  const db = {
    ...primary,
    close: async () => {
      await Promise.all([primary.close(), replica?.close()]);
    },
  };
  return buildSqlStore(db, replica && createReplicaReads(replica, db));
}
