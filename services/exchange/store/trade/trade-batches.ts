import type { SqlDatabase } from "../../../../shared/store/sql.js";
import {
  activeContext,
  type Context,
  inContext,
  linkTo,
  SpanKind,
  traced,
  tracingOn,
} from "../../../../shared/telemetry/spans.js";
import { escrowAccount, userAccount } from "../ledger.js";
import type { SendStatement, TradeStatement } from "./trade-statement.js";

interface Queued extends TradeStatement {
  settle(rows: Promise<unknown[]>): void;
  /** The trade's trace context (tracing on): its statement runs in a later turn. */
  trace: Context | undefined;
}

/**
 * Group commit for trade statements (trade-write.ts builds them, unchanged): writes made in
 * the same turn, or while an earlier batch is on its way, go to PostgreSQL together as one
 * pipelined transaction (`SqlDatabase.pipelined`): one round trip and one commit — one
 * `fdatasync` — for them all instead of one each. A write with nothing on its way and no company
 * goes at once, alone, as before.
 *
 * A batch first locks its markets, then its accounts, each in id order: trades of other
 * processes and batches (settlement, repricing) lock a market before its accounts, so no lock
 * cycle can form through a batch. A refused statement rolls the whole batch back (PostgreSQL
 * answers its COMMIT with ROLLBACK); each of its writes then runs alone and meets its own answer.
 * When the batch's outcome is unknown (the connection failed before the COMMIT's answer) every
 * write fails with that error, as a single statement losing its connection does.
 */
export function createTradeBatches(
  db: SqlDatabase,
  pipelined: NonNullable<SqlDatabase["pipelined"]>,
): SendStatement {
  let waiting: Queued[] = [];
  let sending = false;

  /** Runs one write on its own; resolves once it is answered, whatever the answer. */
  const alone = async (q: Queued): Promise<void> => {
    const rows = inContext(q.trace, () => db.query(q.text, q.params));
    q.settle(rows);
    await rows.catch(() => {});
  };

  async function send(batch: Queued[]): Promise<void> {
    if (batch.length === 1) return alone(batch[0]!);
    const markets = [...new Set(batch.map((q) => q.marketId))].sort();
    const accounts = [
      ...new Set(batch.flatMap((q) => [userAccount(q.userId), escrowAccount(q.marketId)])),
    ].sort();
    // One transaction commits trades of several traces. Its span is a child of the trade that
    // opened the batch and links to every other trade's span: each trade's trace reaches the
    // commit it waited for, and the batch is one span, not one copy per trade.
    const commit = () =>
      pipelined([
        { text: lockMarkets, params: [markets] },
        { text: lockAccounts, params: [accounts] },
        ...batch,
      ]);
    const result = await (tracingOn()
      ? traced(
          "postgresql trade batch",
          {
            kind: SpanKind.CLIENT,
            parent: batch[0]!.trace,
            links: batch.slice(1).flatMap((q) => linkTo(q.trace)),
            attributes: { "db.system.name": "postgresql", "db.operation.batch.size": batch.length + 2 },
          },
          commit,
        )
      : commit());
    if (result.outcome === "committed") {
      for (const [i, q] of batch.entries()) q.settle(Promise.resolve(result.rows[i + 2]!));
    } else if (result.outcome === "rolled back") {
      await Promise.all(batch.map(alone));
    } else {
      for (const q of batch) q.settle(Promise.reject(result.error));
    }
  }

  function next(): void {
    if (sending || waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    sending = true;
    void send(batch).finally(() => {
      sending = false;
      next();
    });
  }

  return (statement) =>
    new Promise<unknown[]>((resolve, reject) => {
      waiting.push({
        ...statement,
        settle: (rows) => rows.then(resolve, reject),
        trace: activeContext(),
      });
      queueMicrotask(next);
    });
}

const lockMarkets = "SELECT 1 FROM markets WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE";
const lockAccounts = "SELECT 1 FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE";
