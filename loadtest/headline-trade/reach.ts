/** CPU ms per answered request of one phase, by process name (clients' included, as measured). */
export interface CpuRow {
  cpuMsPerRequest: Record<string, number>;
}

/** CPU ms a request of the row's processes whose names pass `take`; the load's clients never count. */
export function cpuOf(row: CpuRow, take: (name: string) => boolean = () => true): number {
  return Object.entries(row.cpuMsPerRequest)
    .filter(([name, ms]) => !name.startsWith("client-") && take(name) && Number.isFinite(ms))
    .reduce((sum, [, ms]) => sum + ms, 0);
}

/** The naive design's agent processes are named this, then `-2`, `-3`… (`naiveAgentName`). */
const naiveAgentPrefix = "bullmq-agent";

/** The name under which the benchmark counts the CPU of the naive design's `index`th agent process. */
export function naiveAgentName(index: number): string {
  return index === 0 ? naiveAgentPrefix : `${naiveAgentPrefix}-${index + 1}`;
}

export interface Reach {
  /** The most CPU ms a request ours may spend to serve the naive design's req/s on `cores`. */
  budgetMs: number;
  /** What ours spends a request with the trading agent, early and after the round day. */
  oursMs: { early: number; after: number };
  /** The platform's path: every service's CPU ms a request of a run that does no agent work. */
  floorMs: number;
  /** The trading run's own work: what doing it adds to the naive design's agent process. */
  workMs: number;
  /** The least ours can spend a request: the floor plus the work, carrying the answer free. */
  leastMs: number;
}

/**
 * How far the headline target is in one run of a CPU-bound machine. Serving the naive design's
 * req/s leaves ours at most every core's time divided by that rate, a generous budget since the
 * load's clients share the cores. Ours spends at least its floor plus the trading run's work,
 * measured where nothing else differs: the naive design's agent process doing ours' work (the same
 * agent and tools in process, handing the answer on as ours' worker does) against the same
 * process doing none.
 */
export function reachOfTarget(
  rows: {
    naive: CpuRow & { perS: number };
    early: CpuRow;
    after: CpuRow;
    floor: CpuRow;
    naiveWork: CpuRow;
  },
  cores: number,
): Reach {
  const agent = (name: string) => name.startsWith(naiveAgentPrefix);
  const floorMs = cpuOf(rows.floor);
  const workMs = Math.max(0, cpuOf(rows.naiveWork, agent) - cpuOf(rows.naive, agent));
  return {
    budgetMs: (cores * 1000) / rows.naive.perS,
    oursMs: { early: cpuOf(rows.early), after: cpuOf(rows.after) },
    floorMs,
    workMs,
    leastMs: floorMs + workMs,
  };
}

/** The run's verdict on `reach`, as the benchmark prints it. */
export function describeReach(reach: Reach, naivePerS: number, cores: number): string {
  const over = (ms: number) =>
    ms <= reach.budgetMs ? "within it" : `${((1 - reach.budgetMs / ms) * 100).toFixed(0)} % too much`;
  const ms = (value: number) => value.toFixed(2);
  return (
    `reach: matching the naive design's ${naivePerS.toFixed(0)} req/s on ${cores} cores allows ours at most ` +
    `${ms(reach.budgetMs)} CPU ms a request, every core busy with ours' services alone. Ours spends ` +
    `${ms(reach.oursMs.early)} early (${over(reach.oursMs.early)}) and ${ms(reach.oursMs.after)} after ` +
    `(${over(reach.oursMs.after)}); the platform's floor (${ms(reach.floorMs)}) and the trading run's work ` +
    `(${ms(reach.workMs)}, the naive design's agent doing it) alone need ${ms(reach.leastMs)}, ` +
    `${over(reach.leastMs)} even if carrying the answer cost nothing`
  );
}
