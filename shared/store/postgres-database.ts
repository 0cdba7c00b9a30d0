import postgres from "postgres";
import { noDelayConnections } from "./postgres-socket.js";
import type { SqlReader } from "./replica-reads.js";
import type { SqlDatabase, SqlRunner } from "./sql.js";

/**
 * A pool of `max` connections to PostgreSQL through postgres.js (distributed mode), as the
 * SqlDatabase every SQL adapter runs on; with `pipelined`, so trade writes can commit in groups.
 * Several pools and processes may share one database.
 */
export function connectPostgres(url: string, max: number): SqlDatabase {
  const sql = connect(url, max);
  return {
    ...runner(sql),
    transaction: async <T>(work: (tx: SqlRunner) => Promise<T>) =>
      (await sql.begin((tx) => work(runner(tx)))) as T,
    close: () => sql.end({ timeout: 5 }),
    async pipelined(statements) {
      let connection: postgres.ReservedSql;
      try {
        connection = await sql.reserve();
      } catch (error) {
        return { outcome: "unknown", error };
      }
      try {
        // Created in one turn, so postgres.js writes them together; each settles on its own.
        const [, ...settled] = await Promise.allSettled([
          connection.unsafe("BEGIN"),
          ...statements.map((s) =>
            connection.unsafe(s.text, s.params as postgres.ParameterOrJSON<never>[], { prepare: true }),
          ),
          connection.unsafe("COMMIT"),
        ]);
        const commit = settled.pop()!;
        if (commit.status === "fulfilled") {
          // After a failed statement PostgreSQL answers COMMIT with ROLLBACK.
          if (commit.value.command !== "COMMIT") return { outcome: "rolled back" };
          return {
            outcome: "committed",
            rows: settled.map((r) => (r as PromiseFulfilledResult<unknown[]>).value),
          };
        }
        return { outcome: "unknown", error: commit.reason };
      } finally {
        connection.release();
      }
    },
  };
}

/**
 * A pool of `max` read-only sessions (`default_transaction_read_only`): even a read URL that
 * names a primary by mistake cannot be written through it (SQLSTATE 25006).
 */
export function connectReadOnly(url: string, max: number): SqlReader & { close(): Promise<void> } {
  const sql = connect(url, max, { connection: { default_transaction_read_only: true } });
  return { query: runner(sql).query, close: () => sql.end({ timeout: 5 }) };
}

function connect(url: string, max: number, extra: Partial<postgres.Options<never>> = {}): postgres.Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    backoff: reconnectDelayS,
    ...noDelayConnections,
    // The ledger reads int8 as Number (safe to 2^53 cents) instead of postgres.js's default strings.
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
    ...extra,
  });
}

function runner(s: postgres.Sql | postgres.TransactionSql): SqlRunner {
  return {
    // Prepared (cached per connection): unprepared, each parameterised query costs two round trips.
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: true,
      })) as unknown as Row[],
    exec: async (script: string) => {
      await s.unsafe(script).simple();
    },
  };
}

/**
 * Seconds a connection waits before connecting again after `failures` failed attempts (shared by
 * the pool; reset by a success). A query that finds no open connection waits this long before it
 * fails, so it bounds both how long calls take to answer `unavailable` while PostgreSQL is down
 * and how soon after its return they succeed again. postgres.js grows it to 10–20 s; here it
 * stops at 0.25–0.5 s (a refused connection costs the server nothing).
 */
export function reconnectDelayS(failures: number): number {
  return Math.min(3 ** failures / 100, 0.5) * (0.5 + Math.random() / 2);
}
