import type { Dataset, Match } from "../../shared/epl/dataset.js";
import { type MarketKind, marketKinds, marketPrices, winningOutcome } from "../../shared/epl/markets.js";
import { baselineModelOptions, fitModel, type MatchProbabilities } from "../../shared/epl/model.js";
import { isPlayed } from "../../shared/epl/standings.js";

export const kinds = Object.keys(marketKinds) as MarketKind[];
/** `model`: the pricing model; `baseline`: the plain Poisson it replaced; `baseRate`: league frequencies. */
export const forecasters = ["model", "baseline", "baseRate"] as const;
export type Forecaster = (typeof forecasters)[number];
/** Outcome → probability for each market kind, outcome keys as in the protocol. */
export type Prices = Record<MarketKind, Record<string, number>>;

export interface EvaluationWindow {
  /** ISO instant: the first fit sees only matches kicked off before it. */
  trainBefore: string;
  /** ISO instants: the test matches kick off in [testFrom, testTo). */
  testFrom: string;
  testTo: string;
  /** Refit before each matchweek (rolling origin, the default) or fit once at `trainBefore`. */
  refit?: "matchweek" | "once";
}

export interface Forecast {
  match: Match;
  /** The fit's instant: only matches kicked off before it (and none in [trainBefore, testFrom)) were seen. */
  fittedBefore: string;
  prices: Record<Forecaster, Prices>;
}

const dayMs = 86_400_000;

/**
 * Forecasts of every finished match of the window. A matchweek is a round of the schedule: its
 * matches are forecast by one fit made at the round's first kick-off in the window, so each fit
 * sees every result known when the round began. A match played more than 7 days after that
 * (rescheduled) is its own matchweek, fitted at the start of its day.
 */
export function rollingForecasts(data: Dataset, window: EvaluationWindow): Forecast[] {
  const { trainBefore, testFrom, testTo } = window;
  if (!(trainBefore <= testFrom)) {
    throw new Error(
      `trainBefore (${trainBefore}) must not be after testFrom (${testFrom}): the fit would see test results`,
    );
  }
  if (!(testFrom < testTo)) throw new Error(`testFrom (${testFrom}) must be before testTo (${testTo})`);
  const visible = withoutResultsBetween(data, trainBefore, testFrom);
  const tests = data.matches.filter(
    (m) => m.status === "finished" && m.kickoff >= testFrom && m.kickoff < testTo,
  );
  const roundStart = new Map<string, string>();
  for (const m of tests)
    if (!roundStart.has(`${m.season}/${m.round}`)) roundStart.set(`${m.season}/${m.round}`, m.kickoff);
  const fitInstant = (m: Match): string => {
    if (window.refit === "once") return trainBefore;
    const start = roundStart.get(`${m.season}/${m.round}`)!;
    if (Date.parse(m.kickoff) - Date.parse(start) <= 7 * dayMs) return start;
    return `${m.kickoff.slice(0, 10)}T00:00:00.000Z`;
  };
  const fits = new Map<string, (m: Match) => Record<Forecaster, Prices>>();
  const fitAt = (before: string) => {
    let fit = fits.get(before);
    if (!fit) {
      const model = fitModel(visible, { before });
      const baseline = fitModel(visible, { before, ...baselineModelOptions });
      const baseRate = baseRates(visible, before);
      fit = (m) => ({
        model: pricesOf(model.predict(m.home, m.away)),
        baseline: pricesOf(baseline.predict(m.home, m.away)),
        baseRate,
      });
      fits.set(before, fit);
    }
    return fit;
  };
  return tests.map((match) => {
    const fittedBefore = fitInstant(match);
    return { match, fittedBefore, prices: fitAt(fittedBefore)(match) };
  });
}

/** The dataset with the results of [from, to) hidden, as if those matches were still to play. */
function withoutResultsBetween(data: Dataset, from: string, to: string): Dataset {
  if (from === to) return data;
  const matches = data.matches.map((m): Match => {
    if (m.kickoff < from || m.kickoff >= to || !m.fullTime) return m;
    const { fullTime: _, halfTime: __, ...rest } = m;
    return { ...rest, status: "scheduled" };
  });
  return { ...data, matches, byId: new Map(matches.map((m) => [m.id, m])) };
}

export function pricesOf(p: MatchProbabilities): Prices {
  return Object.fromEntries(kinds.map((k) => [k, marketPrices(k, p)])) as Prices;
}

/** Outcome frequencies over every match finished before `before`: the forecast of a bettor with no model. */
function baseRates(data: Dataset, before: string): Prices {
  const played = data.matches.filter((m) => isPlayed(m, before));
  return Object.fromEntries(
    kinds.map((kind) => {
      const counts = Object.fromEntries(marketKinds[kind].outcomes.map((o) => [o, 0]));
      for (const m of played) counts[winningOutcome(kind, m.fullTime!)]! += 1;
      return [kind, Object.fromEntries(Object.entries(counts).map(([o, n]) => [o, n / played.length]))];
    }),
  ) as Prices;
}
