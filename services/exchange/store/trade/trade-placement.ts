import { AppError } from "../../../../shared/errors.js";
import {
  asStoreError,
  inTransaction,
  isRetryable,
  isUniqueViolation,
  type SqlDatabase,
  type SqlRunner,
} from "../../../../shared/store/sql.js";
import type { TradeRecord, TradeRequest } from "../store.js";
import type { MarketVersion } from "./market-version.js";
import { createTradeBatches } from "./trade-batches.js";
import { readForTrade } from "./trade-read.js";
import type { SendStatement } from "./trade-statement.js";
import { writeTrade } from "./trade-write.js";

/** Optimistic attempts before a trade takes the market's row lock instead (a hot market's race). */
const optimisticAttempts = 3;
/** Markets whose last written version this process remembers. */
const knownMarketsMax = 10_000;

/**
 * How a store places trades: the first step of a trade's way to the database, which only goes
 * forward — placement (this: order, retries) → trade-read.ts (only when the market's version is
 * not known) → trade-write.ts (pricing, the one statement) → trade-batches.ts (group commit) or
 * the connection. In each process a market's trades run one after another, so they never race each other for the market row's
 * version, and the version a trade here wrote is remembered: the next trade of that market is
 * priced from it and written at once, in one statement, when no other process (another exchange,
 * a reprice, a status change) wrote the row since. Otherwise — or when that trade is refused,
 * since the remembered state may be stale — the market is read at its newest version first;
 * after `optimisticAttempts` lost races the trade holds the row lock between read and write, so
 * it always ends. Every write is one atomic statement checked against the version it was priced
 * at: what is remembered only ever saves a read, it never decides a trade. Where the database
 * pipelines (PostgreSQL), those writes go through group commit (trade-batches.ts).
 */
export function createTradePlacement(db: SqlDatabase): (request: TradeRequest) => Promise<TradeRecord> {
  const tails = new Map<string, Promise<unknown>>();
  const alone =
    (runner: SqlRunner): SendStatement =>
    (statement) =>
      runner.query(statement.text, statement.params);
  const direct = alone(db);
  const batched = db.pipelined === undefined ? direct : createTradeBatches(db, db.pipelined.bind(db));
  const known = new Map<string, MarketVersion>();

  function remember(next: MarketVersion): void {
    if (known.size >= knownMarketsMax) known.clear();
    known.set(next.market.id, next);
  }

  async function place(request: TradeRequest): Promise<TradeRecord> {
    const last = known.get(request.marketId);
    if (last !== undefined) {
      known.delete(request.marketId);
      try {
        const written = await writeTrade(batched, request, last);
        if (written !== undefined) {
          remember(written.next);
          return written.record;
        }
      } catch (err) {
        // A used idempotency key: the caller runs the trade again, which reads the key's answer.
        if (isUniqueViolation(err) || !(err instanceof AppError || isRetryable(err))) throw asStoreError(err);
      }
    }
    for (let attempt = 1; attempt <= optimisticAttempts; attempt++) {
      try {
        const read = await readForTrade(db, request, false);
        if ("replay" in read) return read.replay;
        const written = await writeTrade(direct, request, read);
        if (written !== undefined) {
          remember(written.next);
          return written.record;
        }
      } catch (err) {
        // A deadlock or serialization failure rolled the one statement back: price it again.
        if (!isRetryable(err)) throw asStoreError(err);
      }
    }
    return inTransaction(db, async (tx) => {
      const read = await readForTrade(tx, request, true);
      if ("replay" in read) return read.replay;
      const written = await writeTrade(alone(tx), request, read);
      if (written === undefined)
        throw new AppError("internal", `market ${request.marketId} changed while locked`);
      return written.record;
    });
  }

  return (request) => {
    const run = (tails.get(request.marketId) ?? Promise.resolve()).then(() => place(request));
    const tail = run.catch(() => {});
    tails.set(request.marketId, tail);
    void tail.then(() => {
      if (tails.get(request.marketId) === tail) tails.delete(request.marketId);
    });
    return run;
  };
}
