import { AppError } from "../../../shared/errors.js";
import { agentRecordMigrations } from "../../../shared/store/agent-records-database.js";
import type { SqlReader } from "../../../shared/store/replica-reads.js";
import {
  inTransaction,
  isoTime,
  isUniqueViolation,
  json,
  migrate,
  type SqlDatabase,
  storeCall,
} from "../../../shared/store/sql.js";
import { buildSqlAgentRecords } from "../../../shared/store/sql-agent-records.js";
import { traceSql, traceSqlReads } from "../../../shared/store/sql-tracing.js";
import { openLmsr, prices, worstCaseLossCents } from "../pricing/lmsr.js";
import { holdingsQuery, toHolding } from "./holdings-query.js";
import { escrowAccount, houseAccount, storeAnswer, storedAnswer, transfer, userAccount } from "./ledger.js";
import { type MarketRow, marketColumns, marketFrom, toMarket } from "./market-rows.js";
import { repriceInTransaction } from "./reprice-transaction.js";
import { settleInTransaction } from "./settle-transaction.js";
import type { BooksReport, DepositRecord, MarketRecord, StoreWithRecords, TradeRecord } from "./store.js";
import { createTradePlacement } from "./trade/trade-placement.js";

/**
 * The ledger's migrations; the agents' records (agent-records-database.ts) bring their own, and
 * both are applied as one sequence, as the trade statement fires the alerts of migration 003.
 */
const ledgerMigrations = new URL("./migrations/", import.meta.url);

/**
 * The Store on any SqlDatabase: both adapters are this, with a different driver underneath.
 * `listReads` answers the reads a user may see a moment late — market lists, price history, trade
 * history — (a replica, docs/architecture.md "Read replica"); a user's own balance and positions,
 * single markets (which writes read back) and every write use `driver`, so they read their own writes.
 */
export function buildSqlStore(driver: SqlDatabase, listReads: SqlReader = driver): StoreWithRecords {
  const db = traceSql(driver);
  const lists = listReads === driver ? db : traceSqlReads(listReads);

  /** A keyed request that lost the race to a concurrent twin: answer with the twin's result. */
  async function afterKeyConflict<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (key === undefined || !isUniqueViolation(err, "idempotency_keys_pkey")) throw err;
      return run();
    }
  }

  async function market(marketId: string): Promise<MarketRecord | undefined> {
    const rows = await storeCall(() =>
      db.query<MarketRow>(`SELECT ${marketColumns} FROM ${marketFrom} WHERE m.id = $1`, [marketId]),
    );
    return rows[0] && toMarket(rows[0]);
  }

  const placeTrade = createTradePlacement(db);

  return {
    ...buildSqlAgentRecords(db),
    migrate: () => storeCall(() => migrate(db, [agentRecordMigrations, ledgerMigrations])),

    ensureUser: (userId, startingCents) =>
      inTransaction(db, async (tx) => {
        const account = userAccount(userId);
        const created = await tx.query(
          "INSERT INTO accounts (id, kind) VALUES ($1, 'user') ON CONFLICT (id) DO NOTHING RETURNING id",
          [account],
        );
        if (created.length === 0) {
          const row = (
            await tx.query<{ balance_cents: unknown }>("SELECT balance_cents FROM accounts WHERE id = $1", [
              account,
            ])
          )[0];
          return { created: false, balanceCents: Number(row?.balance_cents) };
        }
        await tx.query("INSERT INTO users (id, account_id) VALUES ($1, $2)", [userId, account]);
        if (startingCents <= 0) return { created: true, balanceCents: 0 };
        const moved = await transfer(tx, {
          from: houseAccount,
          to: account,
          cents: startingCents,
          reason: "funding",
          reference: userId,
        });
        return { created: true, balanceCents: moved.toBalance };
      }),

    deposit: (request) =>
      afterKeyConflict(request.idempotencyKey, () =>
        inTransaction(db, async (tx) => {
          const fingerprint = { op: "deposit", cents: request.cents };
          const stored = await storedAnswer<DepositRecord>(
            tx,
            request.userId,
            request.idempotencyKey,
            fingerprint,
          );
          if (stored) return { ...stored, replayed: true };
          const moved = await transfer(tx, {
            from: houseAccount,
            to: userAccount(request.userId),
            cents: request.cents,
            reason: "deposit",
            reference: request.idempotencyKey,
          });
          const record: DepositRecord = {
            userId: request.userId,
            cents: request.cents,
            balanceCents: moved.toBalance,
          };
          await storeAnswer(tx, request.userId, request.idempotencyKey, fingerprint, record);
          return record;
        }),
      ),

    balance: async (userId) => {
      const rows = await storeCall(() =>
        db.query<{ balance_cents: unknown }>("SELECT balance_cents FROM accounts WHERE id = $1", [
          userAccount(userId),
        ]),
      );
      return rows[0] ? Number(rows[0].balance_cents) : undefined;
    },

    openMarket: async (spec) => {
      const lmsr = openLmsr(spec.liquidity, spec.prices);
      if (spec.outcomes.length !== spec.prices.length) throw new RangeError("one price per outcome");
      const created = await inTransaction(db, async (tx) => {
        const escrow = escrowAccount(spec.id);
        const inserted = await tx.query(
          "INSERT INTO accounts (id, kind) VALUES ($1, 'escrow') ON CONFLICT (id) DO NOTHING RETURNING id",
          [escrow],
        );
        if (inserted.length === 0) return false;
        const subsidy = worstCaseLossCents(lmsr);
        await tx.query(
          `INSERT INTO markets (id, match_id, kind, title, outcomes, liquidity, initial_quantities, sold,
             escrow_account_id, subsidy_cents, closes_at)
           VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7::text::jsonb, $8::text::jsonb, $9, $10, $11)`,
          [
            spec.id,
            spec.matchId,
            spec.kind,
            spec.title,
            JSON.stringify(spec.outcomes),
            lmsr.b,
            JSON.stringify(lmsr.initial),
            JSON.stringify(lmsr.sold),
            escrow,
            subsidy,
            spec.closesAt ?? null,
          ],
        );
        await transfer(tx, {
          from: houseAccount,
          to: escrow,
          cents: subsidy,
          reason: "subsidy",
          reference: spec.id,
        });
        await tx.query("INSERT INTO price_history (market_id, prices) VALUES ($1, $2::text::jsonb)", [
          spec.id,
          JSON.stringify(prices(lmsr)),
        ]);
        return true;
      });
      const opened = await market(spec.id);
      if (!opened) throw new AppError("internal", `market ${spec.id} vanished`);
      return { created, market: opened };
    },

    market,

    markets: async (filter = {}) => {
      const rows = await storeCall(() =>
        lists.query<MarketRow>(
          `SELECT ${marketColumns} FROM ${marketFrom}
           WHERE ($1::text IS NULL OR m.match_id = $1) AND ($2::text IS NULL OR m.status = $2)
           ORDER BY m.closes_at NULLS LAST, m.id`,
          [filter.matchId ?? null, filter.status ?? null],
        ),
      );
      return rows.map(toMarket);
    },

    setMarketStatus: async (marketId, status) => {
      const rows = await storeCall(() =>
        db.query("UPDATE markets SET status = $2 WHERE id = $1 AND status <> 'settled' RETURNING id", [
          marketId,
          status,
        ]),
      );
      const found = await market(marketId);
      if (!found) throw new AppError("invalid_market", `no market ${marketId}`);
      if (rows.length === 0) throw new AppError("market_closed", `market ${marketId} is settled`);
      return found;
    },

    reprice: (marketId, target) => inTransaction(db, (tx) => repriceInTransaction(tx, marketId, target)),

    trade: (request) => afterKeyConflict<TradeRecord>(request.idempotencyKey, () => placeTrade(request)),

    settle: (marketId, winner) => inTransaction(db, (tx) => settleInTransaction(tx, marketId, winner)),

    positions: async (userId) => {
      const rows = await storeCall(() =>
        db.query<MarketRow & { p_outcome: string; p_shares: unknown; p_cost: unknown }>(
          `SELECT p.outcome AS p_outcome, p.shares AS p_shares, p.cost_cents AS p_cost, ${marketColumns}
           FROM positions p JOIN ${marketFrom} ON m.id = p.market_id
           WHERE p.user_id = $1 AND p.shares > 0 AND m.status <> 'settled'
           ORDER BY p.market_id, p.outcome`,
          [userId],
        ),
      );
      return rows.map((r) => ({
        marketId: r.id,
        outcome: r.p_outcome,
        hundredths: Number(r.p_shares),
        costCents: Number(r.p_cost),
        market: toMarket(r),
      }));
    },

    holdings: async (userId) =>
      (await storeCall(() => db.query<Parameters<typeof toHolding>[0]>(holdingsQuery, [userId]))).map(
        toHolding,
      ),

    trades: async (userId, limit) => {
      const rows = await storeCall(() =>
        lists.query<{
          id: unknown;
          market_id: string;
          outcome: string;
          side: "buy" | "sell";
          shares: unknown;
          cost_cents: unknown;
          created_at: unknown;
        }>(
          `SELECT id, market_id, outcome, side, shares, cost_cents, created_at FROM trades
           WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
          [userId, limit],
        ),
      );
      return rows.map((r) => ({
        tradeId: String(r.id),
        userId,
        marketId: r.market_id,
        outcome: r.outcome,
        side: r.side,
        hundredths: Number(r.shares),
        cents: Number(r.cost_cents),
        at: isoTime(r.created_at),
      }));
    },

    settlements: async (userId, limit) => {
      const rows = await storeCall(() =>
        lists.query<{
          market_id: string;
          title: string;
          outcome: string;
          winner: string;
          shares: unknown;
          cost_cents: unknown;
          settled_at: unknown;
        }>(
          `SELECT p.market_id, m.title, p.outcome, s.winner, p.shares, p.cost_cents, s.settled_at
           FROM positions p JOIN settlements s ON s.market_id = p.market_id JOIN markets m ON m.id = p.market_id
           WHERE p.user_id = $1 AND p.shares > 0
           ORDER BY s.settled_at DESC, p.market_id, p.outcome LIMIT $2`,
          [userId, limit],
        ),
      );
      return rows.map((r) => ({
        marketId: r.market_id,
        title: r.title,
        outcome: r.outcome,
        winner: r.winner,
        hundredths: Number(r.shares),
        costCents: Number(r.cost_cents),
        payoutCents: r.outcome === r.winner ? Number(r.shares) : 0,
        at: isoTime(r.settled_at),
      }));
    },

    priceHistory: async (marketId, limit) => {
      const rows = await storeCall(() =>
        lists.query<{ prices: unknown; at: unknown }>(
          `SELECT prices, at FROM (SELECT id, prices, at FROM price_history WHERE market_id = $1 ORDER BY id DESC LIMIT $2) h
           ORDER BY id`,
          [marketId, limit],
        ),
      );
      return rows.map((r) => ({ at: isoTime(r.at), prices: json<number[]>(r.prices) }));
    },

    checkBooks: () => storeCall(() => checkBooks(db)),

    ping: async () => {
      await storeCall(() => db.query("SELECT 1"));
    },

    close: () => db.close(),
  };
}

async function checkBooks(db: SqlDatabase): Promise<BooksReport> {
  const [totals] = await db.query<{ ledger_sum: unknown; off_ledger: unknown; negative: unknown }>(
    `SELECT
       (SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries)::int8 AS ledger_sum,
       (SELECT count(*) FROM accounts a
          WHERE a.balance_cents <> (SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries e WHERE e.account_id = a.id))::int8 AS off_ledger,
       (SELECT count(*) FROM accounts WHERE kind <> 'house' AND balance_cents < 0)::int8 AS negative`,
  );
  const underfunded = await db.query<{ id: string }>(
    `SELECT m.id FROM markets m JOIN accounts a ON a.id = m.escrow_account_id
     WHERE m.status <> 'settled'
       AND a.balance_cents < (SELECT max(value::int8) FROM jsonb_array_elements_text(m.sold) AS s (value))
     ORDER BY m.id`,
  );
  const [positions] = await db.query<{ off: unknown }>(
    `WITH traded AS (
       SELECT user_id, market_id, outcome, sum(CASE side WHEN 'buy' THEN shares ELSE -shares END) AS shares
       FROM trades GROUP BY user_id, market_id, outcome)
     SELECT count(*)::int8 AS off FROM positions p
       FULL JOIN traded t USING (user_id, market_id, outcome)
     WHERE coalesce(p.shares, 0) <> coalesce(t.shares, 0)`,
  );
  return {
    ledgerSumCents: Number(totals?.ledger_sum),
    accountsOffLedger: Number(totals?.off_ledger),
    negativeBalances: Number(totals?.negative),
    underfundedMarkets: underfunded.map((r) => r.id),
    positionsOffTrades: Number(positions?.off),
  };
}
