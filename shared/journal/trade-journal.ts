import type { Side } from "../protocol/common.js";
import type { TradeResult } from "../protocol/trading-views.js";
import type { AgentRecordStore, JournalEntry, TradeIntent } from "../store/agent-records.js";

/** A journal entry in the protocol's units (credits, shares). */
export interface JournalView {
  entryId: string;
  tradeId: string;
  marketId: string;
  outcome: string;
  side: Side;
  shares: number;
  cost: number;
  rationale: string;
  at: string;
}

/**
 * The trade journal: why each trade was made, in the words the agent (or user) gave, kept beside
 * the trade and listable later. One entry per trade; recording a trade twice keeps the first
 * rationale (see AgentRecordStore).
 */
export interface TradeJournal {
  record(entry: {
    userId: string;
    trade: Pick<TradeResult, "tradeId" | "marketId" | "outcome" | "side" | "shares" | "cost">;
    rationale: string;
  }): Promise<JournalView & { replayed: boolean }>;
  /** Newest first. */
  list(userId: string, limit: number): Promise<JournalView[]>;
  /**
   * A run's trade decision, stored under the call's idempotency key before the trade is sent, so
   * a redelivered run repeats its first decision instead of deciding again on moved prices.
   */
  decision(userId: string, key: string): Promise<TradeIntent | undefined>;
  /** Stores `intent` unless a decision exists for its key; returns the one that is stored. */
  decide(intent: TradeIntent): Promise<{ intent: TradeIntent; existing: boolean }>;
}

export function createTradeJournal(
  store: Pick<AgentRecordStore, "recordJournal" | "journal" | "tradeIntent" | "claimTradeIntent">,
): TradeJournal {
  return {
    decision: (userId, key) => store.tradeIntent(userId, key),
    decide: (intent) => store.claimTradeIntent(intent),
    async record({ userId, trade, rationale }) {
      const stored = await store.recordJournal({
        userId,
        tradeId: trade.tradeId,
        marketId: trade.marketId,
        outcome: trade.outcome,
        side: trade.side,
        hundredths: Math.round(trade.shares * 100),
        cents: Math.round(trade.cost * 100),
        rationale,
      });
      return { ...journalView(stored), replayed: stored.replayed === true };
    },
    async list(userId, limit) {
      return (await store.journal(userId, limit)).map(journalView);
    },
  };
}

function journalView(e: JournalEntry): JournalView {
  return {
    entryId: e.entryId,
    tradeId: e.tradeId,
    marketId: e.marketId,
    outcome: e.outcome,
    side: e.side,
    shares: e.hundredths / 100,
    cost: e.cents / 100,
    rationale: e.rationale,
    at: e.at,
  };
}
