import { PGlite } from "@electric-sql/pglite";
import { pgliteDatabase } from "../../../shared/store/pglite-database.js";
import { buildSqlStore } from "./sql-store.js";
import type { StoreWithRecords } from "./store.js";

/** The embedded store, which can also copy its own data folder while it serves. */
export interface PgliteStore extends StoreWithRecords {
  /**
   * A consistent copy of the whole database while it runs: PGlite's own dump of its data folder
   * (a gzipped tarball), taken between transactions — none is half in it — after a checkpoint, so
   * that a restore has little WAL to replay. Trades wait while the folder is read.
   */
  backup(): Promise<Blob>;
}

/**
 * The Store on PGlite (shared/store/pglite-database.ts) for embedded mode. `dataDir` persists
 * the database in a folder; "memory" keeps it in memory (tests). Call `migrate()` before use.
 */
export function createPgliteStore(dataDir: string): PgliteStore {
  return storeOn(new PGlite(dataDir === "memory" ? undefined : dataDir));
}

/**
 * Makes `dataDir` (which must not hold a database yet) the database of `backup` (a `backup()`
 * tarball), and checks it opens: what embedded mode then starts from with DATA_DIR set to the
 * folder's parent (services/embedded/restore.ts).
 */
export async function restorePgliteBackup(backup: Blob, dataDir: string): Promise<StoreWithRecords> {
  return storeOn(await PGlite.create(dataDir, { loadDataDir: backup }));
}

function storeOn(pg: PGlite): PgliteStore {
  return {
    ...buildSqlStore(pgliteDatabase(pg)),
    async backup() {
      await pg.exec("CHECKPOINT");
      // Inside a transaction of its own: PGlite runs one transaction at a time, so no other is
      // open (half written) while the folder is read.
      return pg.transaction(() => pg.dumpDataDir("gzip"));
    },
  };
}
