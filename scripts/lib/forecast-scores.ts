import { type MarketKind, marketKinds, winningOutcome } from "../../shared/epl/markets.js";
import { type Forecast, type Forecaster, forecasters, kinds } from "./rolling-evaluation.js";

export const metrics = ["logLoss", "brier", "rps"] as const;
export type Metric = (typeof metrics)[number];

/** A mean per match and its standard error. */
export interface Estimate {
  mean: number;
  standardError: number;
}

export interface MarketScores {
  /** Mean score per match of each forecaster; lower is better for all three metrics. */
  scores: Record<Metric, Record<Forecaster, number>>;
  /** Paired per-match differences: model − baseline and model − base rate (negative: model better). */
  versusBaseline: Record<Metric, Estimate>;
  versusBaseRate: Record<Metric, Estimate>;
}

/**
 * Log-loss: −ln p(outcome). Brier: Σ over outcomes of (p − observed)², Brier's original
 * multi-category score (0 perfect, 2 worst). Ranked probability score: the mean over the r − 1
 * thresholds of the squared gap between cumulative forecast and outcome, outcomes ordered as
 * the protocol lists them (home, draw, away; over, under; yes, no) — for a two-outcome market
 * it is (p − observed)², half the Brier score.
 */
export function matchScore(
  metric: Metric,
  prices: Record<string, number>,
  kind: MarketKind,
  won: string,
): number {
  const outcomes = marketKinds[kind].outcomes;
  switch (metric) {
    case "logLoss":
      return -Math.log(prices[won]!);
    case "brier":
      return outcomes.reduce((s, o) => s + (prices[o]! - (o === won ? 1 : 0)) ** 2, 0);
    case "rps": {
      let forecast = 0;
      let observed = 0;
      let sum = 0;
      for (const o of outcomes.slice(0, -1)) {
        forecast += prices[o]!;
        observed += o === won ? 1 : 0;
        sum += (forecast - observed) ** 2;
      }
      return sum / (outcomes.length - 1);
    }
  }
}

export function scoreForecasts(forecasts: readonly Forecast[]): Record<MarketKind, MarketScores> {
  return Object.fromEntries(
    kinds.map((kind) => {
      const perMatch = (metric: Metric, f: Forecaster) =>
        forecasts.map((x) =>
          matchScore(metric, x.prices[f][kind], kind, winningOutcome(kind, x.match.fullTime!)),
        );
      const table = (build: (metric: Metric) => unknown) =>
        Object.fromEntries(metrics.map((m) => [m, build(m)]));
      return [
        kind,
        {
          scores: table((metric) =>
            Object.fromEntries(forecasters.map((f) => [f, meanOf(perMatch(metric, f))])),
          ),
          versusBaseline: table((metric) =>
            pairedDifference(perMatch(metric, "model"), perMatch(metric, "baseline")),
          ),
          versusBaseRate: table((metric) =>
            pairedDifference(perMatch(metric, "model"), perMatch(metric, "baseRate")),
          ),
        } as MarketScores,
      ];
    }),
  ) as Record<MarketKind, MarketScores>;
}

/** Mean of a − b over matches with the standard error of that mean (matches as independent pairs). */
export function pairedDifference(a: readonly number[], b: readonly number[]): Estimate {
  const gaps = a.map((x, i) => x - b[i]!);
  const mean = meanOf(gaps);
  const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { mean, standardError: Math.sqrt(variance / gaps.length) };
}

function meanOf(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
