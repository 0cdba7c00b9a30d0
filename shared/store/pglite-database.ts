import type { PGlite } from "@electric-sql/pglite";
import type { SqlDatabase, SqlRunner } from "./sql.js";

/**
 * PGlite (PostgreSQL compiled to WebAssembly, in this process) as the SqlDatabase every SQL
 * adapter runs on, for embedded mode: the same migrations and queries as PostgreSQL. PGlite has
 * one connection, so transactions run one at a time; it does not pipeline.
 */
export function pgliteDatabase(pg: PGlite): SqlDatabase {
  const runner = (s: Pick<PGlite, "query" | "exec">): SqlRunner => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await s.query<Row>(text, params as unknown[])).rows,
    exec: async (script: string) => {
      await s.exec(script);
    },
  });
  return {
    ...runner(pg),
    transaction: (work) => pg.transaction((tx) => work(runner(tx))),
    close: () => pg.close(),
  };
}
