import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { restorePgliteBackup } from "../exchange/store/pglite-store.js";
import type { BooksReport } from "../exchange/store/store.js";

/**
 * Makes `dataDir` (embedded mode's DATA_DIR) hold the database of the backup at `backupFile` (from
 * `POST /backup`, `npm run backup`), then audits its books. Refuses a DATA_DIR that already holds a
 * database: a restore never overwrites one.
 */
export async function restoreEmbeddedBackup(backupFile: string, dataDir: string): Promise<BooksReport> {
  const databaseDir = join(dataDir, "pglite");
  if (existsSync(databaseDir)) throw new Error(`${databaseDir} exists: restore into an empty DATA_DIR`);
  mkdirSync(dataDir, { recursive: true });
  const store = await restorePgliteBackup(new Blob([readFileSync(backupFile)]), databaseDir);
  try {
    return await store.checkBooks();
  } finally {
    await store.close();
  }
}
