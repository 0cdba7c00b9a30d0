import type { Dataset, Match, Season } from "../../../shared/epl/dataset.js";
import { fitModel, type MatchProbabilities, type Model } from "../../../shared/epl/model.js";
import { standings } from "../../../shared/epl/standings.js";

/** What to back in every match; each is one 1X2, over/under or both-teams-to-score outcome. */
export const strategies = {
  home: "the home side",
  away: "the away side",
  draw: "the draw",
  favourite: "the model's most likely result",
  home_favourite: "the home side, only in matches where the model makes it the most likely result",
  value:
    "the outcome of the match result whose model probability beats its base-rate price (how often home sides, draws and away sides won in the 380 matches before) by at least the threshold, bought at that base-rate price",
  underdog: "the side the model rates less likely to win",
  higher_in_table: "the side higher in the table before the match",
  over25: "over 2.5 goals",
  under25: "under 2.5 goals",
  btts_yes: "both teams to score",
  btts_no: "not both teams to score",
} as const;
export type Strategy = keyof typeof strategies;

export interface BacktestOptions {
  season: Season;
  strategy: Strategy;
  /** Credits staked on every bet. */
  stake: number;
  /** `value` only: the smallest model-minus-price edge worth a bet (0.05 when absent). */
  threshold?: number;
}

export interface BacktestProgress {
  matchesDone: number;
  matches: number;
  bets: number;
  profit: number;
}

export interface BacktestResult {
  season: Season;
  strategy: Strategy;
  /** What the strategy backs, in words, with its threshold. */
  description: string;
  stake: number;
  threshold?: number;
  /** Matches the strategy had a price for but chose not to bet on (a home side not favourite…). */
  passed: number;
  bets: number;
  wins: number;
  /** Winning bets over all bets, 0–1 (4 decimals). */
  hitRate: number;
  staked: number;
  returned: number;
  profit: number;
  /** Profit over staked, 4 decimals. */
  roi: number;
  /** The largest fall of cumulative profit from a running peak, in credits (≥ 0). */
  maxDrawdown: number;
  /** Matches left out because too few results came before them to fit the model. */
  skipped: number;
  bestRun: number;
  worstRun: number;
}

/** Matches the model needs behind it before its prices mean anything. */
const minHistory = 60;
/** The model is refitted when the data moved on this many days since the last fit. */
const refitDays = 3;
const progressSteps = 10;

/**
 * Backs one outcome per played match of a season, at the price the model gave it from the
 * results before kick-off (there is no historical odds data): a stake s at price p buys s/p
 * shares, which pay 1 credit each if the outcome won. Reports P/L, hit rate and drawdown.
 * `onProgress` is called about every tenth of the season.
 */
export async function runBacktest(
  data: Dataset,
  options: BacktestOptions,
  onProgress: (p: BacktestProgress) => void,
  signal?: AbortSignal,
): Promise<BacktestResult> {
  const threshold = options.threshold ?? defaultThreshold;
  const played = data.matches.filter((m) => m.season === options.season && m.status === "finished");
  const result: BacktestResult = {
    season: options.season,
    strategy: options.strategy,
    description: describeStrategy(options.strategy, threshold),
    stake: options.stake,
    ...(options.strategy === "value" ? { threshold } : {}),
    passed: 0,
    bets: 0,
    wins: 0,
    hitRate: 0,
    staked: 0,
    returned: 0,
    profit: 0,
    roi: 0,
    maxDrawdown: 0,
    skipped: 0,
    bestRun: 0,
    worstRun: 0,
  };
  let model: Model | undefined;
  let fittedOn = "";
  let peak = 0;
  let run = 0;
  const every = Math.max(1, Math.ceil(played.length / progressSteps));
  for (const [i, match] of played.entries()) {
    signal?.throwIfAborted();
    const before = data.matches.filter((m) => m.status === "finished" && m.kickoff < match.kickoff);
    if (before.length < minHistory) {
      result.skipped++;
    } else {
      if (!model || daysBetween(fittedOn, match.date) >= refitDays) {
        model = fitModel(data, { before: match.kickoff });
        fittedOn = match.date;
      }
      const p = model.predict(match.home, match.away);
      const bet = pick(options.strategy, p, match, data, { before, threshold });
      if (!bet) result.passed++;
      else {
        const shares = options.stake / bet.price;
        const won = bet.wins(match.fullTime!);
        result.bets++;
        result.staked += options.stake;
        if (won) {
          result.wins++;
          result.returned += shares;
        }
        result.profit = result.returned - result.staked;
        peak = Math.max(peak, result.profit);
        result.maxDrawdown = Math.max(result.maxDrawdown, peak - result.profit);
        run = won ? Math.max(1, run + 1) : Math.min(-1, run - 1);
        result.bestRun = Math.max(result.bestRun, run);
        result.worstRun = Math.min(result.worstRun, run);
      }
    }
    if ((i + 1) % every === 0 || i + 1 === played.length) {
      onProgress({
        matchesDone: i + 1,
        matches: played.length,
        bets: result.bets,
        profit: round2(result.profit),
      });
      // Let the progress frame go out before the next slice of work.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  result.staked = round2(result.staked);
  result.returned = round2(result.returned);
  result.profit = round2(result.profit);
  result.maxDrawdown = round2(result.maxDrawdown);
  result.hitRate = result.bets === 0 ? 0 : round4(result.wins / result.bets);
  result.roi = result.staked === 0 ? 0 : round4(result.profit / result.staked);
  return result;
}

type Outcome = { price: number; wins: (s: { home: number; away: number }) => boolean };

/** The `value` strategy's threshold when none is given. */
export const defaultThreshold = 0.05;
/** Matches the base-rate prices of `value` count: one season. */
const baseRateMatches = 380;

export function describeStrategy(strategy: Strategy, threshold = defaultThreshold): string {
  return strategy === "value"
    ? strategies.value.replace("the threshold", `a threshold of ${threshold}`)
    : strategies[strategy];
}

/** The outcome the strategy backs in `match`, or undefined when it passes on the match. */
function pick(
  strategy: Strategy,
  p: MatchProbabilities,
  match: Match,
  data: Dataset,
  value: { before: readonly Match[]; threshold: number },
): Outcome | undefined {
  const home: Outcome = { price: p.home, wins: (s) => s.home > s.away };
  const away: Outcome = { price: p.away, wins: (s) => s.away > s.home };
  const draw: Outcome = { price: p.draw, wins: (s) => s.home === s.away };
  switch (strategy) {
    case "home":
      return home;
    case "away":
      return away;
    case "draw":
      return draw;
    case "favourite":
      return [home, draw, away].sort((a, b) => b.price - a.price)[0]!;
    case "home_favourite":
      return p.home > p.draw && p.home > p.away ? home : undefined;
    case "value": {
      const recent = value.before.slice(-baseRateMatches);
      const rate = (won: Outcome["wins"]) => recent.filter((m) => won(m.fullTime!)).length / recent.length;
      const edges = [home, draw, away]
        .map((o) => ({ model: o.price, price: round4(rate(o.wins)), wins: o.wins }))
        .filter((o) => o.price > 0 && o.model - o.price >= value.threshold)
        .sort((a, b) => b.model - b.price - (a.model - a.price));
      const best = edges[0];
      return best && { price: best.price, wins: best.wins };
    }
    case "underdog":
      return p.home < p.away ? home : away;
    case "higher_in_table": {
      const table = standings(data, match.season, match.kickoff);
      const pos = (team: string) => table.find((r) => r.team === team)?.position ?? 99;
      return pos(match.home) <= pos(match.away) ? home : away;
    }
    case "over25":
      return { price: p.over25, wins: (s) => s.home + s.away > 2 };
    case "under25":
      return { price: p.under25, wins: (s) => s.home + s.away <= 2 };
    case "btts_yes":
      return { price: p.bttsYes, wins: (s) => s.home > 0 && s.away > 0 };
    case "btts_no":
      return { price: p.bttsNo, wins: (s) => s.home === 0 || s.away === 0 };
  }
}

function daysBetween(from: string, to: string): number {
  return from === "" ? Number.POSITIVE_INFINITY : (Date.parse(to) - Date.parse(from)) / 86_400_000;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
