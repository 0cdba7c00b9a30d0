/**
 * What a user asks of the database, per user per hour averaged over a match day, and how much
 * busier the peak hour is (docs/capacity.md, "The database at a million users"). Every figure
 * counts calls that reach the store: the gateway's read cache serves most market lists and
 * price histories, but agents' tools read through the exchange uncached, so lists are counted
 * as if none were cached.
 */
export interface UserModel {
  users: number;
  /** Trades placed (by hand or by an agent), each one `store.trade`. */
  tradesPerHour: number;
  /** Quotes, each one `store.market(id)` on the primary. */
  quotesPerHour: number;
  /** The user's own wallet and positions: on the primary (read-your-writes). */
  ownReadsPerHour: number;
  /** Trade history, market lists, price history: replica-eligible. */
  listReadsPerHour: number;
  /** Agent runs, each `agentReadsPerRun` store reads (market, list, wallet, positions, history). */
  agentRunsPerHour: number;
  agentReadsPerRun: number;
  /** Share of agent reads that are lists and history (replica-eligible); the rest are own reads. */
  agentListShare: number;
  /** Peak hour (Saturday 15:00, ten matches) / average hour. */
  peakFactor: number;
}

export const defaultUserModel: UserModel = Object.freeze({
  users: 1_000_000,
  tradesPerHour: 0.5,
  quotesPerHour: 1.5,
  ownReadsPerHour: 2,
  listReadsPerHour: 3,
  agentRunsPerHour: 0.5,
  agentReadsPerRun: 6,
  agentListShare: 0.5,
  peakFactor: 6,
});

/** Per-second rates at the peak hour, by where they run. */
export interface PeakRates {
  trades: number;
  /** Reads that must see the user's own writes or price a trade: the primary. */
  primaryReads: number;
  /** Reads that may lag by the replica's replay lag. */
  listReads: number;
}

export function peakRates(m: UserModel): PeakRates {
  const perS = (perHour: number) => (m.users * perHour * m.peakFactor) / 3600;
  const agentReads = m.agentRunsPerHour * m.agentReadsPerRun;
  return {
    trades: perS(m.tradesPerHour),
    primaryReads: perS(m.quotesPerHour + m.ownReadsPerHour + agentReads * (1 - m.agentListShare)),
    listReads: perS(m.listReadsPerHour + agentReads * m.agentListShare),
  };
}

/** CPU ms of the PostgreSQL backends per operation, as measured. */
export interface MeasuredCosts {
  tradeCpuMs: number;
  primaryReadCpuMs: number;
  listReadCpuMs: number;
}

export interface PrimaryLoad {
  /** Cores of PostgreSQL CPU each kind of work needs at the peak. */
  tradeCores: number;
  primaryReadCores: number;
  listReadCores: number;
  totalCores: number;
  /** totalCores / (cores × targetUtilisation): above 1, one primary is not enough. */
  utilisation: number;
}

/**
 * The peak's CPU on one primary of `cores`, kept under `targetUtilisation` (headroom for
 * checkpoints, vacuum and bursts): CPU per operation is what carries from this machine to a
 * bigger one, as long as the disk keeps up with the commits (group commit makes one `fdatasync`
 * serve a batch).
 */
export function primaryLoad(
  rates: PeakRates,
  costs: MeasuredCosts,
  cores = 8,
  targetUtilisation = 0.7,
): PrimaryLoad {
  const tradeCores = (rates.trades * costs.tradeCpuMs) / 1000;
  const primaryReadCores = (rates.primaryReads * costs.primaryReadCpuMs) / 1000;
  const listReadCores = (rates.listReads * costs.listReadCpuMs) / 1000;
  const totalCores = tradeCores + primaryReadCores + listReadCores;
  return {
    tradeCores,
    primaryReadCores,
    listReadCores,
    totalCores,
    utilisation: totalCores / (cores * targetUtilisation),
  };
}
