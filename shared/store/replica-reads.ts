import { isUnavailable, type SqlRunner } from "./sql.js";

/** The read side of a database: queries only. */
export type SqlReader = Pick<SqlRunner, "query">;

/**
 * Read-only lists and history on a streaming replica, on the primary when the replica cannot
 * answer (docs/architecture.md, "Read replica"). A replica that is unreachable, shut down or
 * cancels the query for a conflict with recovery (40001) costs that read one failed attempt; an
 * unreachable one is then skipped for `retryAfterMs`, so while it is down reads go straight to
 * the primary instead of each waiting for a connection that will not come. Any other error (a
 * write refused by the read-only session among them) is the caller's. Reads are answered from the
 * replica's replayed state, which may lag the primary by its replay lag: callers route here only
 * what a user may see a moment late.
 */
export function createReplicaReads(
  replica: SqlReader,
  primary: SqlReader,
  options: { retryAfterMs?: number; now?: () => number } = {},
): SqlReader {
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const now = options.now ?? Date.now;
  let skipUntil = 0;
  return {
    async query<Row>(text: string, params?: readonly unknown[]) {
      if (now() < skipUntil) return primary.query<Row>(text, params);
      try {
        return await replica.query<Row>(text, params);
      } catch (err) {
        if (isUnavailable(err)) skipUntil = now() + retryAfterMs;
        else if (!isRecoveryConflict(err)) throw err;
        return primary.query<Row>(text, params);
      }
    },
  };
}

/** A hot standby cancelled the query because replaying the primary's WAL needed its rows. */
function isRecoveryConflict(err: unknown): boolean {
  return (err as { code?: unknown })?.code === "40001";
}
