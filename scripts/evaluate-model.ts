// Out-of-sample evaluation of the team-strength model (docs/model-evaluation.md).
// Usage: npx tsx scripts/evaluate-model.ts
// Prints the tables and writes docs/model-evaluation.json. Every forecast uses only matches that
// kicked off before its fit instant; the league base rates come from that same window.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Match } from "../shared/epl/dataset.js";
import { loadDataset } from "../shared/epl/dataset.js";
import type { MarketKind } from "../shared/epl/markets.js";
import { marketKinds, marketPrices, winningOutcome } from "../shared/epl/markets.js";
import type { MatchProbabilities, Model } from "../shared/epl/model.js";
import { defaultHalfLifeDays, fitModel, scoreProbabilities } from "../shared/epl/model.js";
import { isPlayed } from "../shared/epl/standings.js";

const data = loadDataset();
const kinds = Object.keys(marketKinds) as MarketKind[];
const forecasters = ["poisson", "dixonColes", "baseRate"] as const;
type Forecaster = (typeof forecasters)[number];
type Prices = Record<MarketKind, Record<string, number>>;
const halfLives = [60, 90, 120, 180, 240, 365, 540, 730, 1095, 1460];
const dayMs = 86_400_000;

interface Forecast {
  match: Match;
  prices: Record<Forecaster, Prices>;
}

/** First kick-off of `season` in round ≥ `round`: the start of its second half when round is 20. */
function firstKickoff(season: Match["season"], round = 1): string {
  return data.matches.find((m) => m.season === season && m.round >= round)!.kickoff;
}

/**
 * Forecasts for the finished matches kicked off in [from, to): one fit at `from` when
 * `refitDays` is absent (static), else a refit every `refitDays` days (walk-forward).
 */
function forecast(from: string, to: string, halfLifeDays: number, refitDays?: number): Forecast[] {
  // The correction is fitted after the strengths, so one fit serves both: its rates are the
  // shipped model's, and its predict adds ρ.
  const fits = new Map<string, { model: Model; baseRates: Prices }>();
  const fitAt = (before: string) => {
    let fit = fits.get(before);
    if (!fit) {
      fit = {
        model: fitModel(data, { before, halfLifeDays, lowScoreCorrection: true }),
        baseRates: baseRates(before),
      };
      fits.set(before, fit);
    }
    return fit;
  };
  const start = Date.parse(from);
  const fitInstant = (kickoff: string) => {
    if (!refitDays) return from;
    const period = refitDays * dayMs;
    return new Date(start + Math.floor((Date.parse(kickoff) - start) / period) * period).toISOString();
  };
  return data.matches
    .filter((m) => m.status === "finished" && m.kickoff >= from && m.kickoff < to)
    .map((match) => {
      const fit = fitAt(fitInstant(match.kickoff));
      return {
        match,
        prices: {
          poisson: pricesOf(scoreProbabilities(fit.model.rates(match.home, match.away))),
          dixonColes: pricesOf(fit.model.predict(match.home, match.away)),
          baseRate: fit.baseRates,
        },
      };
    });
}

function pricesOf(p: MatchProbabilities): Prices {
  return Object.fromEntries(kinds.map((k) => [k, marketPrices(k, p)])) as Prices;
}

/** Outcome frequencies over every match finished before `before`. */
function baseRates(before: string): Prices {
  const window = data.matches.filter((m) => isPlayed(m, before));
  return Object.fromEntries(
    kinds.map((kind) => {
      const counts = Object.fromEntries(marketKinds[kind].outcomes.map((o) => [o, 0]));
      for (const m of window) counts[winningOutcome(kind, m.fullTime!)]! += 1;
      return [kind, Object.fromEntries(Object.entries(counts).map(([o, n]) => [o, n / window.length]))];
    }),
  ) as Prices;
}

interface MarketScore {
  logLoss: Record<Forecaster, number>;
  brier: Record<Forecaster, number>;
  /** Shipped-model (Poisson) log-loss minus base-rate log-loss, with the paired mean's standard error. */
  gainOverBaseRate: { mean: number; standardError: number };
}

/** Log-loss: mean −ln p(outcome). Brier: mean Σ over outcomes of (p − observed)², range 0–2. */
function score(forecasts: readonly Forecast[]): Record<MarketKind, MarketScore> {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return Object.fromEntries(
    kinds.map((kind) => {
      const losses = (f: Forecaster) =>
        forecasts.map((x) => -Math.log(x.prices[f][kind][winningOutcome(kind, x.match.fullTime!)]!));
      const briers = (f: Forecaster) =>
        forecasts.map((x) => {
          const won = winningOutcome(kind, x.match.fullTime!);
          return marketKinds[kind].outcomes.reduce(
            (s, o) => s + (x.prices[f][kind][o]! - (o === won ? 1 : 0)) ** 2,
            0,
          );
        });
      const model = losses("poisson");
      const base = losses("baseRate");
      const gains = model.map((l, i) => l - base[i]!);
      const gain = mean(gains);
      const variance = gains.reduce((s, g) => s + (g - gain) ** 2, 0) / (gains.length - 1);
      return [
        kind,
        {
          logLoss: Object.fromEntries(forecasters.map((f) => [f, mean(losses(f))])),
          brier: Object.fromEntries(forecasters.map((f) => [f, mean(briers(f))])),
          gainOverBaseRate: { mean: gain, standardError: Math.sqrt(variance / gains.length) },
        },
      ];
    }),
  ) as Record<MarketKind, MarketScore>;
}

/**
 * Reliability of the shipped (Poisson) forecasts: for each market, every (match, outcome) pair binned
 * by predicted probability (width 0.1), and per outcome the mean prediction against the frequency.
 */
function calibration(forecasts: readonly Forecast[]) {
  return Object.fromEntries(
    kinds.map((kind) => {
      const bins = Array.from({ length: 10 }, (_, i) => ({
        from: i / 10,
        to: (i + 1) / 10,
        n: 0,
        p: 0,
        hits: 0,
      }));
      const outcomes = Object.fromEntries(
        marketKinds[kind].outcomes.map((o) => [o, { predicted: 0, observed: 0 }]),
      );
      for (const x of forecasts) {
        const won = winningOutcome(kind, x.match.fullTime!);
        for (const o of marketKinds[kind].outcomes) {
          const p = x.prices.poisson[kind][o]!;
          const bin = bins[Math.min(9, Math.floor(p * 10))]!;
          bin.n += 1;
          bin.p += p;
          bin.hits += o === won ? 1 : 0;
          outcomes[o]!.predicted += p / forecasts.length;
          outcomes[o]!.observed += (o === won ? 1 : 0) / forecasts.length;
        }
      }
      return [
        kind,
        {
          outcomes,
          bins: bins
            .filter((b) => b.n > 0)
            .map((b) => ({
              from: b.from,
              to: b.to,
              n: b.n,
              meanPredicted: b.p / b.n,
              observed: b.hits / b.n,
            })),
        },
      ];
    }),
  );
}

const validationFrom = firstKickoff("2023-24", 20);
const testFrom = firstKickoff("2024-25", 20);
const testTo = firstKickoff("2025-26");
const seasonFrom = firstKickoff("2025-26");
const end = "9999-12-31T00:00:00.000Z";

// The half-life is chosen on 2023-24's second half and 2024-25's first half, refitting weekly,
// by 1X2 log-loss; the test periods below are never looked at while choosing. The validation
// windows hold at most 17 months of history, so long half-lives barely differ there: the rule
// takes the shortest half-life within `tolerance` of the best, because a shorter memory follows
// transfers and managerial changes, and a gap that small is far inside the noise (the paired
// standard error of the gap is printed beside it).
const tolerance = 0.001;
const validation = halfLives.map((halfLifeDays) => {
  const forecasts = forecast(validationFrom, testFrom, halfLifeDays, 7);
  const s = score(forecasts);
  return { halfLifeDays, logLoss1x2: s["1x2"].logLoss.poisson, forecasts, scores: s };
});
const best = validation.reduce((b, v) => (v.logLoss1x2 < b.logLoss1x2 ? v : b));
const pick = validation.find((v) => v.logLoss1x2 <= best.logLoss1x2 + tolerance)!;
const chosen = pick.halfLifeDays;
const gapToBest = pairedGap(pick.forecasts, best.forecasts);

/** Mean and standard error of the paired 1X2 log-loss difference a − b. */
function pairedGap(a: readonly Forecast[], b: readonly Forecast[]): { mean: number; standardError: number } {
  const loss = (x: Forecast) => -Math.log(x.prices.poisson["1x2"][winningOutcome("1x2", x.match.fullTime!)]!);
  const gaps = a.map((x, i) => loss(x) - loss(b[i]!));
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { mean, standardError: Math.sqrt(variance / gaps.length) };
}

const staticTest = forecast(testFrom, testTo, chosen);
const periods = [
  { name: "test: 2024-25 second half, one fit", from: testFrom, to: testTo, forecasts: staticTest },
  {
    name: "test: 2024-25 second half, weekly refit",
    from: testFrom,
    to: testTo,
    forecasts: forecast(testFrom, testTo, chosen, 7),
  },
  {
    name: "extra: 2025-26 to date, weekly refit",
    from: seasonFrom,
    to: end,
    forecasts: forecast(seasonFrom, end, chosen, 7),
  },
].map((p) => ({ name: p.name, from: p.from, matches: p.forecasts.length, scores: score(p.forecasts) }));

const cell = (x: number) => x.toFixed(4).padStart(8);
console.log(`validation (${validationFrom} → ${testFrom}, weekly refit), 1X2 log-loss by half-life:`);
for (const v of validation) {
  const mark =
    v.halfLifeDays === chosen
      ? `  ← chosen (gap to best ${gapToBest.mean.toFixed(4)} ±${gapToBest.standardError.toFixed(4)})`
      : v === best
        ? "  best"
        : "";
  console.log(`  ${String(v.halfLifeDays).padStart(4)} days ${cell(v.logLoss1x2)}${mark}`);
}
if (chosen !== defaultHalfLifeDays) {
  console.log(`note: defaultHalfLifeDays is ${defaultHalfLifeDays} but validation chose ${chosen}`);
}
for (const p of periods) {
  console.log(`\n${p.name}: ${p.matches} matches from ${p.from}, half-life ${chosen} days`);
  console.log(
    "  market  log-loss: Poisson  Dixon-Coles base rate | Poisson-base ±SE  | Brier: Poisson base rate",
  );
  for (const kind of kinds) {
    const { logLoss, brier, gainOverBaseRate: gain } = p.scores[kind];
    console.log(
      `  ${kind.padEnd(6)} ${cell(logLoss.poisson).padStart(17)} ${cell(logLoss.dixonColes).padStart(11)} ` +
        `${cell(logLoss.baseRate).padStart(9)} | ${cell(gain.mean)} ±${gain.standardError.toFixed(4)} | ` +
        `${cell(brier.poisson).padStart(14)} ${cell(brier.baseRate).padStart(9)}`,
    );
  }
}
const reliability = calibration(staticTest);
console.log(`\ncalibration, ${periods[0]!.name} (mean predicted / observed frequency):`);
for (const kind of kinds) {
  const outcomes = Object.entries(reliability[kind]!.outcomes)
    .map(([o, v]) => `${o} ${v.predicted.toFixed(3)}/${v.observed.toFixed(3)}`)
    .join("  ");
  console.log(`  ${kind.padEnd(6)} ${outcomes}`);
}

const output = fileURLToPath(new URL("../docs/model-evaluation.json", import.meta.url));
writeFileSync(
  output,
  `${JSON.stringify(
    {
      command: "npx tsx scripts/evaluate-model.ts",
      brier: "mean over matches of the sum over outcomes of (p − observed)²; 0 is perfect, 2 the worst",
      validation: {
        from: validationFrom,
        to: testFrom,
        refitDays: 7,
        matches: best.forecasts.length,
        rule: `shortest half-life within ${tolerance} of the best 1X2 log-loss`,
        chosenHalfLifeDays: chosen,
        gapToBest,
        byHalfLife: validation.map(({ halfLifeDays, scores }) => ({ halfLifeDays, scores })),
      },
      periods,
      calibration: { period: periods[0]!.name, ...reliability },
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${output}`);
