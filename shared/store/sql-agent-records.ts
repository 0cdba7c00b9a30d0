import { AppError } from "../errors.js";
import type { Side } from "../protocol/common.js";
import type { AgentRecordStore, AlertRecord, JournalEntry, TradeIntent } from "./agent-records.js";
import { asStoreError, isoTime, type SqlDatabase } from "./sql.js";

interface JournalRow {
  id: unknown;
  user_id: string;
  trade_id: string;
  market_id: string;
  outcome: string;
  side: string;
  shares: unknown;
  cost_cents: unknown;
  rationale: string;
  created_at: unknown;
}

interface IntentRow {
  market_id: string;
  outcome: string;
  side: string;
  shares: unknown;
  max_cost_cents: unknown;
}

export interface AlertRow {
  id: unknown;
  user_id: string;
  kind: string;
  market_id: string | null;
  outcome: string | null;
  direction: string | null;
  level_bp: unknown;
  match_id: string | null;
  created_at: unknown;
}

const journalColumns =
  "id, user_id, trade_id, market_id, outcome, side, shares, cost_cents, rationale, created_at";
/**
 * An unfired price alert whose level a price reached, joined to `p(o, bp)`: each outcome's price
 * in ten-thousandths (a `market` event's 4-decimal price × 10,000).
 */
export const priceAlertReached = `kind = 'price' AND fired_at IS NULL AND outcome = p.o
  AND ((direction = 'above' AND level_bp <= p.bp::int4) OR (direction = 'below' AND level_bp >= p.bp::int4))`;

export const alertColumns =
  "id, user_id, kind, market_id, outcome, direction, level_bp, match_id, created_at";

/** The AgentRecordStore on any SqlDatabase (see agent-records.ts for the contract). */
export function buildSqlAgentRecords(db: SqlDatabase): AgentRecordStore {
  async function query<Row>(text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return await db.query<Row>(text, params);
    } catch (err) {
      throw asStoreError(err);
    }
  }

  async function readIntent(userId: string, key: string): Promise<TradeIntent | undefined> {
    const rows = await query<IntentRow>(
      "SELECT market_id, outcome, side, shares, max_cost_cents FROM agent_trade_intents WHERE user_id = $1 AND key = $2",
      [userId, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const intent: TradeIntent = {
      userId,
      key,
      marketId: row.market_id,
      outcome: row.outcome,
      side: row.side as Side,
      hundredths: Number(row.shares),
    };
    if (row.max_cost_cents !== null) intent.maxCostCents = Number(row.max_cost_cents);
    return intent;
  }

  return {
    tradeIntent: readIntent,

    async claimTradeIntent(intent) {
      const inserted = await query(
        `INSERT INTO agent_trade_intents (user_id, key, market_id, outcome, side, shares, max_cost_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
        [
          intent.userId,
          intent.key,
          intent.marketId,
          intent.outcome,
          intent.side,
          intent.hundredths,
          intent.maxCostCents ?? null,
        ],
      );
      if (inserted.length > 0) return { intent, existing: false };
      const stored = await readIntent(intent.userId, intent.key);
      return { intent: stored!, existing: true };
    },

    async recordJournal(entry) {
      const inserted = await query<JournalRow>(
        `INSERT INTO trade_journal (user_id, trade_id, market_id, outcome, side, shares, cost_cents, rationale)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id, trade_id) DO NOTHING RETURNING ${journalColumns}`,
        [
          entry.userId,
          entry.tradeId,
          entry.marketId,
          entry.outcome,
          entry.side,
          entry.hundredths,
          entry.cents,
          entry.rationale,
        ],
      );
      if (inserted[0]) return toJournal(inserted[0]);
      const stored = await query<JournalRow>(
        `SELECT ${journalColumns} FROM trade_journal WHERE user_id = $1 AND trade_id = $2`,
        [entry.userId, entry.tradeId],
      );
      return { ...toJournal(stored[0]!), replayed: true };
    },

    async journal(userId, limit) {
      const rows = await query<JournalRow>(
        `SELECT ${journalColumns} FROM trade_journal WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
        [userId, limit],
      );
      return rows.map(toJournal);
    },

    async createAlert(alert, maxAlerts) {
      const price = alert.kind === "price" ? alert : undefined;
      // The count and the insert are one statement, so concurrent creates cannot pass the cap.
      const rows = await query<AlertRow>(
        `INSERT INTO alerts (user_id, kind, market_id, outcome, direction, level_bp, match_id)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT count(*) FROM alerts WHERE user_id = $1 AND fired_at IS NULL) < $8
         RETURNING ${alertColumns}`,
        [
          alert.userId,
          alert.kind,
          price?.marketId ?? null,
          price?.outcome ?? null,
          price?.direction ?? null,
          price?.levelBp ?? null,
          alert.kind === "score" ? alert.matchId : null,
          maxAlerts,
        ],
      );
      if (!rows[0])
        throw new AppError("bad_request", `you already have ${maxAlerts} alerts; delete one first`);
      return toAlert(rows[0]);
    },

    async alerts(userId) {
      const rows = await query<AlertRow>(
        `SELECT ${alertColumns} FROM alerts WHERE user_id = $1 AND fired_at IS NULL ORDER BY id`,
        [userId],
      );
      return rows.map(toAlert);
    },

    async deleteAlert(userId, alertId) {
      if (!/^\d{1,18}$/.test(alertId)) return false;
      const rows = await query(`DELETE FROM alerts WHERE user_id = $1 AND id = $2 RETURNING id`, [
        userId,
        alertId,
      ]);
      return rows.length > 0;
    },

    // One statement per price change, whatever the number of outcomes: it runs after every trade.
    async firePriceAlerts(marketId, prices) {
      const levels = Object.fromEntries(
        Object.entries(prices).map(([outcome, price]) => [outcome, Math.round(price * 10_000)]),
      );
      const rows = await query<AlertRow>(
        `UPDATE alerts SET fired_at = now() FROM jsonb_each_text($2::text::jsonb) AS p(o, bp)
         WHERE market_id = $1 AND ${priceAlertReached} RETURNING ${alertColumns}`,
        [marketId, JSON.stringify(levels)],
      );
      return rows.map(toAlert);
    },

    async fireScoreAlerts(matchId, final) {
      const rows = final
        ? await query<AlertRow>(
            `UPDATE alerts SET fired_at = now() WHERE kind = 'score' AND fired_at IS NULL AND match_id = $1
             RETURNING ${alertColumns}`,
            [matchId],
          )
        : await query<AlertRow>(
            `SELECT ${alertColumns} FROM alerts WHERE kind = 'score' AND fired_at IS NULL AND match_id = $1`,
            [matchId],
          );
      return rows.map(toAlert);
    },
  };
}

function toJournal(row: JournalRow): JournalEntry {
  return {
    entryId: String(row.id),
    userId: row.user_id,
    tradeId: row.trade_id,
    marketId: row.market_id,
    outcome: row.outcome,
    side: row.side as Side,
    hundredths: Number(row.shares),
    cents: Number(row.cost_cents),
    rationale: row.rationale,
    at: isoTime(row.created_at),
  };
}

export function toAlert(row: AlertRow): AlertRecord {
  const base = { alertId: String(row.id), userId: row.user_id, createdAt: isoTime(row.created_at) };
  if (row.kind === "score") return { ...base, kind: "score", matchId: row.match_id! };
  return {
    ...base,
    kind: "price",
    marketId: row.market_id!,
    outcome: row.outcome!,
    direction: row.direction as "above" | "below",
    levelBp: Number(row.level_bp),
  };
}
