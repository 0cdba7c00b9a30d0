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

export interface Reach {
  /** The most CPU ms a request ours may spend to serve the naive design's req/s on `cores`. */
  budgetMs: number;
  /** The platform's path: every service's CPU ms a request of a run that does no agent work. */
  floorMs: number;
  /** The trading run's own work: what doing it adds to the naive design's agent process. */
  workMs: number;
  /** The least ours can spend a request: the floor plus the work, carrying the answer free. */
  leastMs: number;
}

/**
 * Whether the headline target can be met at all in one run of a CPU-bound machine. Serving the
 * naive design's req/s leaves ours at most every core's time divided by that rate, a generous
 * budget since the load's clients share the cores. Ours spends at least its floor plus the
 * trading run's work, measured where nothing else differs: the naive design's agent process doing
 * ours' work (the same agent and tools in process, handing the answer on as ours' worker does)
 * against the same process doing none.
 */
export function reachOfTarget(
  naive: CpuRow & { perS: number },
  floor: CpuRow,
  naiveWork: CpuRow,
  cores: number,
): Reach {
  const agent = (name: string) => name.startsWith("bullmq-agent");
  const floorMs = cpuOf(floor);
  const workMs = Math.max(0, cpuOf(naiveWork, agent) - cpuOf(naive, agent));
  return { budgetMs: (cores * 1000) / naive.perS, floorMs, workMs, leastMs: floorMs + workMs };
}

/** The run's verdict on `reach`, as the benchmark prints it. */
export function describeReach(reach: Reach, naivePerS: number, cores: number): string {
  const verdict =
    reach.leastMs <= reach.budgetMs
      ? "within reach if carrying the answer costs at most the difference"
      : `out of reach unless they cost ${((1 - reach.budgetMs / reach.leastMs) * 100).toFixed(0)} % less`;
  return (
    `reach: matching the naive design's ${naivePerS.toFixed(0)} req/s on ${cores} cores allows ours at most ` +
    `${reach.budgetMs.toFixed(2)} CPU ms a request, every core busy with ours' services alone; the platform's ` +
    `floor (${reach.floorMs.toFixed(2)}) plus the trading run's work (${reach.workMs.toFixed(2)}, the naive ` +
    `design's agent doing it) need at least ${reach.leastMs.toFixed(2)}: ${verdict}`
  );
}
