import { PGlite } from "@electric-sql/pglite";
import type { SqlDatabase, SqlRunner } from "./sql.js";
import { buildSqlStore } from "./sql-store.js";
import type { Store } from "./store.js";

/**
 * The Store on PGlite (PostgreSQL compiled to WebAssembly, in this process) for embedded mode:
 * the same migrations and queries as PostgreSQL. `dataDir` persists the database in a folder;
 * "memory" keeps it in memory (tests). PGlite has one connection, so transactions run one at a
 * time. Call `migrate()` before use.
 */
export function createPgliteStore(dataDir: string): Store {
  const pg = new PGlite(dataDir === "memory" ? undefined : dataDir);
  const runner = (s: Pick<PGlite, "query" | "exec">): SqlRunner => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await s.query<Row>(text, params as unknown[])).rows,
    exec: async (script: string) => {
      await s.exec(script);
    },
  });
  const db: SqlDatabase = {
    ...runner(pg),
    transaction: (work) => pg.transaction((tx) => work(runner(tx))),
    close: () => pg.close(),
  };
  return buildSqlStore(db);
}
