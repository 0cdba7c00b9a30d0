/**
 * Latency summaries for benchmarks. Percentiles use the nearest-rank method: the p-th percentile
 * of n values is the smallest value with at least p% of the values at or below it, so it is
 * always one of the measured values (never interpolated), and p100 is the maximum.
 */
export interface Summary {
  count: number;
  /** Values in the unit they were given in (ms everywhere in the load tests). NaN when count is 0. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of values sorted ascending; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  const sum = list.reduce((a, b) => a + b, 0);
  return {
    count: list.length,
    mean: list.length === 0 ? Number.NaN : sum / list.length,
    p50: percentile(list, 50),
    p90: percentile(list, 90),
    p99: percentile(list, 99),
    max: list.length === 0 ? Number.NaN : list[list.length - 1]!,
  };
}

/**
 * `value / baseline`; NaN when either is missing or the baseline is not above 0 (a latency
 * measured from a scheduled send can round to 0 or just below it, and no ratio to that means much).
 */
export function ratio(value: number, baseline: number): number {
  return Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0 ? value / baseline : Number.NaN;
}

/**
 * The median of repeated runs' figures: the middle value, or the mean of the two middle ones
 * (so the median of two runs is their mean). NaN values (a figure a run did not measure) are
 * left out; NaN when none is left.
 */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
