import type { Side } from "../protocol/common.js";

/**
 * What agents record for a user beside the money: the trade journal, price/score alerts and
 * trade intents (migration 003), a port of its own. Adapters: `createPostgresAgentRecords` and
 * `agentRecordsOn(pgliteDatabase(…))` (agent-records-database.ts), and the exchange's store,
 * which keeps them on the ledger's database because a trade fires the price alerts it reaches in
 * its own statement; all run the same SQL (sql-agent-records.ts).
 *
 * Contract:
 * - Journal: one entry per (user, trade); `recordJournal` for a trade already journaled returns
 *   the stored entry with `replayed: true` and changes nothing, so a redelivered run is harmless.
 * - Alerts: at most `maxAlerts` unfired alerts per user (`createAlert` refuses beyond it with
 *   `bad_request`). `deleteAlert` removes only the user's own alert.
 * - Trade intents: `claimTradeIntent` stores an intent unless one exists for (user, key) and
 *   returns whichever is stored (`existing: true` for an earlier one): the first decision wins.
 * - Firing is atomic: `firePriceAlerts` marks and returns each matching price alert exactly once,
 *   even when called concurrently; `fireScoreAlerts` returns every unfired score alert of the
 *   match, and with `final` marks them fired in the same statement.
 */
export interface AgentRecordStore {
  tradeIntent(userId: string, key: string): Promise<TradeIntent | undefined>;
  claimTradeIntent(intent: TradeIntent): Promise<{ intent: TradeIntent; existing: boolean }>;
  recordJournal(entry: JournalInput): Promise<JournalEntry & { replayed?: boolean }>;
  /** The user's journal, newest first. */
  journal(userId: string, limit: number): Promise<JournalEntry[]>;
  createAlert(alert: AlertInput, maxAlerts: number): Promise<AlertRecord>;
  /** The user's alerts not yet fired, oldest first. */
  alerts(userId: string): Promise<AlertRecord[]>;
  deleteAlert(userId: string, alertId: string): Promise<boolean>;
  /** Price alerts of `marketId` whose level the given prices (outcome → probability) reached. */
  firePriceAlerts(marketId: string, prices: Record<string, number>): Promise<AlertRecord[]>;
  fireScoreAlerts(matchId: string, final: boolean): Promise<AlertRecord[]>;
}

export interface JournalInput {
  userId: string;
  tradeId: string;
  marketId: string;
  outcome: string;
  side: Side;
  hundredths: number;
  cents: number;
  rationale: string;
}

export interface JournalEntry extends JournalInput {
  entryId: string;
  at: string;
}

export type AlertInput =
  | {
      kind: "price";
      userId: string;
      marketId: string;
      outcome: string;
      direction: "above" | "below";
      /** The price level in ten-thousandths (0.6 → 6000). */
      levelBp: number;
    }
  | { kind: "score"; userId: string; matchId: string };

export type AlertRecord = AlertInput & { alertId: string; createdAt: string };

export interface TradeIntent {
  userId: string;
  key: string;
  marketId: string;
  outcome: string;
  side: Side;
  hundredths: number;
  maxCostCents?: number;
}
