import { type MarketKind, winningOutcome } from "../../shared/epl/markets.js";
import type { Forecast, Forecaster } from "./rolling-evaluation.js";

export interface ReliabilityBin {
  /** Predicted-probability range [from, to). */
  from: number;
  to: number;
  n: number;
  meanPredicted: number;
  observed: number;
}

/**
 * Every forecast of `outcomes` (of one market kind) binned by predicted probability in steps of
 * 0.1, with the mean prediction against the observed frequency: a calibrated forecaster's bins
 * lie on the diagonal. For 1X2 pass all three outcomes (pooled); for two-outcome markets one
 * outcome says everything.
 */
export function reliabilityBins(
  forecasts: readonly Forecast[],
  forecaster: Forecaster,
  kind: MarketKind,
  outcomes: readonly string[],
): ReliabilityBin[] {
  const bins = Array.from({ length: 10 }, (_, i) => ({
    from: i / 10,
    to: (i + 1) / 10,
    n: 0,
    p: 0,
    hits: 0,
  }));
  for (const x of forecasts) {
    const won = winningOutcome(kind, x.match.fullTime!);
    for (const o of outcomes) {
      const p = x.prices[forecaster][kind][o]!;
      const bin = bins[Math.min(9, Math.floor(p * 10))]!;
      bin.n += 1;
      bin.p += p;
      bin.hits += o === won ? 1 : 0;
    }
  }
  return bins
    .filter((b) => b.n > 0)
    .map((b) => ({ from: b.from, to: b.to, n: b.n, meanPredicted: b.p / b.n, observed: b.hits / b.n }));
}
