import type { MarketStatus, Side } from "../../../shared/protocol/common.js";
import type { AgentRecordStore, AlertRecord } from "../../../shared/store/agent-records.js";
import type { LmsrState } from "../pricing/lmsr.js";

/**
 * The money store: users, the double-entry ledger, markets with their LMSR state, trades,
 * positions, price history and idempotency keys. Adapters: `createPostgresStore(databaseUrl)`
 * (postgres.js, distributed mode) and `createPgliteStore(dataDir | "memory")` (embedded); both
 * run the same migrations (migrations/, with shared/store/migrations for the agents' records)
 * and the same queries, and one contract suite runs against both.
 *
 * Contract:
 * - Money is integer cents and shares integer hundredths of a share; a hundredth pays one cent.
 * - Atomicity: each method that moves money is one transaction; nothing partial is ever visible.
 *   Every movement is a transfer of two ledger entries summing to zero; entries are never updated
 *   or deleted; user and escrow balances never go below zero (only the house may).
 * - Ordering: trades on one market are serialised: each writes only if the market row is still
 *   the version it was priced at (trade/trade-placement.ts), as reprices and settlements hold its row
 *   lock; trades on different markets run concurrently.
 * - Idempotency: a trade or deposit with a key already used by that user returns the stored first
 *   answer (`replayed: true`) and moves nothing; the same key for a different request is
 *   `bad_request`. `openMarket` and `ensureUser` do nothing when the row exists. `settle` pays
 *   once; later calls return the first settlement with `alreadySettled: true`.
 * - Errors: `AppError` with the protocol's codes (`invalid_market`, `market_closed`,
 *   `invalid_outcome`, `invalid_shares`, `insufficient_funds`, `price_moved`, `not_found`);
 *   `unavailable` when the database cannot be reached (the operation may or may not have
 *   committed: retry with the same idempotency key).
 */
export interface Store {
  /** Applies the migrations not yet applied (safe to call from several processes at once). */
  migrate(): Promise<string[]>;
  /** Creates the user and funds it with `startingCents` from the house, unless it exists. */
  ensureUser(userId: string, startingCents: number): Promise<{ created: boolean; balanceCents: number }>;
  /** Moves `cents` from the house to the user. */
  deposit(request: DepositRequest): Promise<DepositRecord>;
  /** Cash balance in cents; undefined for an unknown user. */
  balance(userId: string): Promise<number | undefined>;
  /** Opens a market and moves its subsidy from the house to its escrow; nothing if it exists. */
  openMarket(spec: MarketSpec): Promise<{ created: boolean; market: MarketRecord }>;
  market(marketId: string): Promise<MarketRecord | undefined>;
  markets(filter?: { matchId?: string; status?: MarketStatus }): Promise<MarketRecord[]>;
  /** Opens, suspends or closes trading (a settled market stays settled). */
  setMarketStatus(marketId: string, status: Exclude<MarketStatus, "settled">): Promise<MarketRecord>;
  /**
   * Moves an open or suspended market's LMSR to `prices` (one per outcome, clamped as at opening)
   * keeping every holding, and in the same transaction (row lock on the market) sets its escrow to
   * what guarantees every future payout, moving the difference between the house and the escrow
   * (reprice-transaction.ts). A closed or settled market is `market_closed`.
   */
  reprice(marketId: string, prices: readonly number[]): Promise<MarketRecord>;
  trade(request: TradeRequest): Promise<TradeRecord>;
  /** Pays one cent per winning hundredth from escrow, returns the rest to the house, closes the market. */
  settle(marketId: string, winner: string): Promise<SettlementRecord>;
  /** Holdings with shares > 0 in markets not yet settled. */
  positions(userId: string): Promise<PositionRecord[]>;
  /**
   * Every outcome the user ever traded, settled markets and sold-out holdings included, with what
   * its buys cost and its sells fetched in all: what realised P&L is computed from.
   */
  holdings(userId: string): Promise<HoldingRecord[]>;
  /** The user's trades, newest first. */
  trades(userId: string, limit: number): Promise<TradeSummary[]>;
  /** What the user held of each settled market's outcomes and what it paid, newest settlement first. */
  settlements(userId: string, limit: number): Promise<SettlementSummary[]>;
  /** Prices at opening and after every trade and reprice, oldest first (the latest `limit`). */
  priceHistory(marketId: string, limit: number): Promise<PricePoint[]>;
  /** Invariants of the books, for audits and tests. */
  checkBooks(): Promise<BooksReport>;
  /** One round trip to the database and back (readiness probes); `unavailable` when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type { MarketStatus, Side };

export interface MarketSpec {
  id: string;
  matchId: string;
  kind: string;
  title: string;
  outcomes: readonly string[];
  /** Opening probabilities, in the order of `outcomes`. */
  prices: readonly number[];
  /** LMSR liquidity b, in shares. */
  liquidity: number;
  closesAt?: string;
}

export interface MarketRecord {
  id: string;
  matchId: string;
  kind: string;
  title: string;
  outcomes: string[];
  status: MarketStatus;
  winner?: string;
  lmsr: LmsrState;
  subsidyCents: number;
  escrowCents: number;
  closesAt?: string;
  openedAt: string;
}

export interface TradeRequest {
  userId: string;
  marketId: string;
  outcome: string;
  side: Side;
  hundredths: number;
  /** Buys: refuse (`price_moved`) if the cost would exceed this. */
  maxCostCents?: number;
  /** Sells: refuse (`price_moved`) if the proceeds would fall below this. */
  minProceedsCents?: number;
  idempotencyKey?: string;
}

/** A trade as the user's history lists it. */
export interface TradeSummary {
  tradeId: string;
  userId: string;
  marketId: string;
  outcome: string;
  side: Side;
  hundredths: number;
  cents: number;
  at: string;
}

/** A trade as it was filled. */
export interface TradeRecord extends TradeSummary {
  /** After the trade (for a replay: after the original trade). */
  balanceCents: number;
  position: { hundredths: number; costCents: number };
  prices: number[];
  replayed?: boolean;
  /**
   * The market's price alerts this trade's prices reached (at 4 decimals, as a `market` event
   * carries them), marked fired by the trade itself: each fires once, and whoever delivers the
   * trade's market event need not match it again. Never on a replay.
   */
  firedAlerts?: AlertRecord[];
}

export interface DepositRequest {
  userId: string;
  cents: number;
  idempotencyKey?: string;
}

export interface DepositRecord {
  userId: string;
  cents: number;
  balanceCents: number;
  replayed?: boolean;
}

export interface PositionRecord {
  marketId: string;
  outcome: string;
  hundredths: number;
  costCents: number;
  market: MarketRecord;
}

/** One outcome a user traded: held now (at settlement, for a settled market) and in all. */
export interface HoldingRecord extends PositionRecord {
  /** Every cent the user's buys of this outcome cost, and every cent its sells fetched. */
  boughtCents: number;
  soldCents: number;
}

export interface SettlementRecord {
  marketId: string;
  winner: string;
  paidCents: number;
  /** Every user who held shares of the market, with what they were paid (0 for losers). */
  holders: { userId: string; payoutCents: number; balanceCents: number }[];
  alreadySettled: boolean;
}

/** Shares of one outcome a user held when its market settled. */
export interface SettlementSummary {
  marketId: string;
  title: string;
  outcome: string;
  winner: string;
  hundredths: number;
  costCents: number;
  /** One cent per hundredth when `outcome` won, else 0. */
  payoutCents: number;
  at: string;
}

export interface PricePoint {
  at: string;
  prices: number[];
}

export interface BooksReport {
  /** Sum of every ledger entry: 0 when every transfer balanced. */
  ledgerSumCents: number;
  /** Accounts whose balance differs from the sum of their entries. */
  accountsOffLedger: number;
  negativeBalances: number;
  /** Open or unsettled markets whose escrow cannot pay some outcome in full. */
  underfundedMarkets: string[];
  /** (user, market, outcome) whose position differs from the sum of the user's trades. */
  positionsOffTrades: number;
}

/**
 * What both SQL adapters are: the money (Store) and the agents' records (AgentRecordStore, a port
 * of its own) on one database, because a trade fires the price alerts it reaches in its own
 * statement (trade/trade-statement.ts). A service names only the port it uses.
 */
export type StoreWithRecords = Store & AgentRecordStore;
