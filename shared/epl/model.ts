import type { Dataset, Match } from "./dataset.js";
import { seasons } from "./dataset.js";
import { isPlayed } from "./standings.js";

export interface ModelOptions {
  /** ISO instant: fit only matches kicked off before it (default: every finished match). */
  before?: string;
  /** Half-life of a match's weight in the team strengths, in days. */
  halfLifeDays?: number;
  /**
   * Half-life of a match's weight in the league goal level and the home advantage, in days.
   * Shorter lets the league level follow a change of era — 3.28 goals a match in 2023-24, 2.93 in
   * 2024-25, 2.77 in 2025-26 — faster than any one team's strength; on the validation windows of
   * docs/model-evaluation.md 90 and 180 days were no better than the teams' 365, the default.
   */
  leagueHalfLifeDays?: number;
  /**
   * Ridge weight on each team's goal tempo, (attack + weakness)/2: how many goals its matches
   * hold at both ends. The strength, (attack − weakness)/2, has the weight `strengthRidge` (4).
   * Tempo is far less persistent than strength, so a heavier pull toward the prior stops one
   * high-scoring month from sharpening the totals and BTTS prices (docs/model-evaluation.md).
   */
  tempoRidge?: number;
  /**
   * Fit the Dixon–Coles low-score dependence ρ (0-0 and 1-1 against 1-0 and 0-1) on matches
   * weighted with this half-life, in days; 0 leaves the goals independent. ρ swings from fit to
   * fit on a short window, so it gets a long memory of its own.
   */
  dependenceHalfLifeDays?: number;
}

/**
 * The options of the model the platform prices with, chosen on the validation windows of
 * docs/model-evaluation.md (2024-01-01..06-30 and 2024-08-01..12-31, refit before each
 * matchweek), never on the reference windows.
 */
export const pricingModelOptions = Object.freeze({
  halfLifeDays: 365,
  leagueHalfLifeDays: 365,
  tempoRidge: 30,
  dependenceHalfLifeDays: 730,
} satisfies ModelOptions);

/**
 * The plain time-weighted Poisson the platform priced with before issue 15: independent goals,
 * one half-life for everything, the same ridge on tempo and strength. Kept as the yardstick of
 * scripts/evaluate-model.ts.
 */
export const baselineModelOptions = Object.freeze({
  halfLifeDays: 365,
  leagueHalfLifeDays: 365,
  tempoRidge: 4,
  dependenceHalfLifeDays: 0,
} satisfies ModelOptions);

/** Full-match goal means of each side and the low-score dependence between them. */
export interface GoalRates {
  home: number;
  away: number;
  /** Dixon–Coles ρ (negative: 0-0 and 1-1 likelier); 0 for independent goals. */
  rho: number;
}

export interface MatchProbabilities {
  home: number;
  draw: number;
  away: number;
  over25: number;
  under25: number;
  bttsYes: number;
  bttsNo: number;
  expectedGoals: { home: number; away: number };
}

export interface Model {
  /** The reference instant of the fit: `before`, or the last finished kick-off when none was given. */
  readonly fittedAt: string;
  /** Every team of the dataset; `rates` and `predict` throw for any other name. */
  readonly teams: readonly string[];
  /** Multiplicative home scoring boost on the log scale (`exp(homeAdvantage)` ≈ 1.2 in the EPL). */
  readonly homeAdvantage: number;
  /** Dixon–Coles low-score dependence (negative: 0-0 and 1-1 likelier); 0 when not fitted. */
  readonly rho: number;
  /**
   * Expected goals of each side over a full match and their dependence: what in-play repricing
   * needs (`inPlayProbabilities`), so a match priced in play at minute 0 is priced as `predict`.
   */
  rates(home: string, away: string): GoalRates;
  predict(home: string, away: string): MatchProbabilities;
}

/**
 * Ridge weight on a team's strength, (attack − weakness)/2, from its prior centre, in units of
 * Fisher information (about 1.4 per match played on each of attack and weakness), so it outweighs
 * a team's data only when the team has played a handful of matches in the window.
 */
const strengthRidge = 4;
/**
 * Goals per side on the score grid. The largest rate fits of this data produce is about 4.2
 * (Liverpool at home to Sheffield United), whose tail beyond 15 is below 1e-5; a grid of 10
 * would drop 0.4% there.
 */
const maxGoals = 15;
const msPerDay = 86_400_000;

/**
 * Poisson goals with home advantage and Dixon–Coles low-score dependence (Maher 1982; Dixon and
 * Coles 1997): λ_home = exp(μ + h + attack_home + weakness_away),
 * λ_away = exp(μ + attack_away + weakness_home). Fitted by penalised maximum likelihood on
 * matches weighted by 2^(−age/halfLife) — a separate, possibly shorter half-life for μ and h:
 * block Newton, where each block's Hessian is diagonal, so every step is exact per team and a
 * full fit of the 1140 matches takes tens of milliseconds. ρ is then fitted by one-dimensional
 * Newton with the rates fixed — the usual two-stage shortcut. Defaults: `pricingModelOptions`.
 *
 * Teams with no recent top-flight history (promoted this season, or absent from the window) are
 * shrunk toward the average of the three weakest established teams: in this data every promoted
 * side of 2023-24 and 2024-25 was relegated again, so "as strong as the bottom three" is the
 * honest prior, where the league average would flatter them.
 */
export function fitModel(data: Dataset, options: ModelOptions = {}): Model {
  const { halfLifeDays, leagueHalfLifeDays, tempoRidge, dependenceHalfLifeDays } = {
    ...pricingModelOptions,
    ...options,
  };
  for (const [name, value] of Object.entries({ halfLifeDays, leagueHalfLifeDays, tempoRidge })) {
    if (!(value > 0)) throw new Error(`${name} must be positive, got ${value}`);
  }
  if (!(dependenceHalfLifeDays >= 0)) {
    throw new Error(`dependenceHalfLifeDays must be 0 or positive, got ${dependenceHalfLifeDays}`);
  }
  const played = data.matches.filter((m) => isPlayed(m, options.before));
  if (played.length === 0) {
    throw new Error(`no finished matches before ${options.before ?? "the end of the data"} to fit`);
  }
  const fittedAt = options.before ?? played.at(-1)!.kickoff;
  const index = new Map(data.teams.map((t, i) => [t, i]));
  const reference = Date.parse(fittedAt);
  const decay = (m: Match, days: number) => 0.5 ** ((reference - Date.parse(m.kickoff)) / msPerDay / days);
  const rows: Row[] = played.map((m) => ({
    home: index.get(m.home)!,
    away: index.get(m.away)!,
    goalsHome: m.fullTime!.home,
    goalsAway: m.fullTime!.away,
    weight: decay(m, halfLifeDays),
    leagueWeight: decay(m, leagueHalfLifeDays),
  }));
  const penalty: Penalty = { strength: strengthRidge, tempo: tempoRidge };

  const teamCount = data.teams.length;
  const zero = new Float64Array(teamCount);
  const first = fitPoisson(rows, teamCount, penalty, zero, zero);
  const newcomers = newcomerTeams(data, played, fittedAt, rows, index);
  let fit = first;
  if (newcomers.size > 0) {
    const prior = weakestEstablished(first, rows, teamCount, newcomers);
    const attackCentre = new Float64Array(teamCount);
    const weaknessCentre = new Float64Array(teamCount);
    for (const t of newcomers) {
      attackCentre[t] = prior.attack;
      weaknessCentre[t] = prior.weakness;
    }
    fit = fitPoisson(rows, teamCount, penalty, attackCentre, weaknessCentre);
  }
  const rho =
    dependenceHalfLifeDays > 0
      ? fitRho(
          rows.map((r, k) => ({ ...r, weight: decay(played[k]!, dependenceHalfLifeDays) })),
          fit,
        )
      : 0;

  const teamIndex = (team: string): number => {
    const i = index.get(team);
    if (i === undefined) throw new Error(`unknown team "${team}": not a team of the dataset`);
    return i;
  };
  const rates = (home: string, away: string): GoalRates => ({
    ...expectedGoals(fit, teamIndex(home), teamIndex(away)),
    rho,
  });
  return Object.freeze({
    fittedAt,
    teams: data.teams,
    homeAdvantage: fit.home,
    rho,
    rates,
    predict: (home: string, away: string) => scoreProbabilities(rates(home, away)),
  });
}

/**
 * Market probabilities of the final score when each side scores Poisson(`rates`) more goals,
 * tied at low counts by the Dixon–Coles τ with `rates.rho` (0 or absent: independent), added to
 * `score`; on a grid of 0–15 more goals per side renormalised to drop the truncated tail.
 */
export function scoreProbabilities(
  rates: { home: number; away: number; rho?: number },
  score: { home: number; away: number } = { home: 0, away: 0 },
): MatchProbabilities {
  const rho = rates.rho ?? 0;
  const homePmf = poissonPmf(rates.home);
  const awayPmf = poissonPmf(rates.away);
  let total = 0;
  let home = 0;
  let draw = 0;
  let over25 = 0;
  let bttsYes = 0;
  for (let i = 0; i <= maxGoals; i++) {
    for (let j = 0; j <= maxGoals; j++) {
      const p = homePmf[i]! * awayPmf[j]! * tau(i, j, rates.home, rates.away, rho);
      const h = score.home + i;
      const a = score.away + j;
      total += p;
      if (h > a) home += p;
      else if (h === a) draw += p;
      if (h + a > 2) over25 += p;
      if (h > 0 && a > 0) bttsYes += p;
    }
  }
  return {
    home: home / total,
    draw: draw / total,
    away: Math.max(0, 1 - (home + draw) / total),
    over25: over25 / total,
    under25: Math.max(0, 1 - over25 / total),
    bttsYes: bttsYes / total,
    bttsNo: Math.max(0, 1 - bttsYes / total),
    expectedGoals: { home: score.home + rates.home, away: score.away + rates.away },
  };
}

interface Row {
  home: number;
  away: number;
  goalsHome: number;
  goalsAway: number;
  weight: number;
  leagueWeight: number;
}

/** Ridge weights on each team's strength, (attack − weakness)/2, and tempo, (attack + weakness)/2. */
interface Penalty {
  strength: number;
  tempo: number;
}

/** Log-scale parameters: `weakness` raises the goals a team concedes. */
interface Fit {
  mean: number;
  home: number;
  attack: Float64Array;
  weakness: Float64Array;
}

function expectedGoals(fit: Fit, home: number, away: number): { home: number; away: number } {
  return {
    home: Math.exp(fit.mean + fit.home + fit.attack[home]! + fit.weakness[away]!),
    away: Math.exp(fit.mean + fit.attack[away]! + fit.weakness[home]!),
  };
}

function fitPoisson(
  rows: readonly Row[],
  teamCount: number,
  penalty: Penalty,
  attackCentre: Float64Array,
  weaknessCentre: Float64Array,
): Fit {
  let goals = 0;
  let weight = 0;
  for (const r of rows) {
    goals += r.weight * (r.goalsHome + r.goalsAway);
    weight += 2 * r.weight;
  }
  const fit: Fit = {
    mean: Math.log(Math.max(goals, 1e-9) / weight),
    home: 0,
    attack: Float64Array.from(attackCentre),
    weakness: Float64Array.from(weaknessCentre),
  };
  const lambdaHome = new Float64Array(rows.length);
  const lambdaAway = new Float64Array(rows.length);
  const refresh = () => {
    rows.forEach((r, k) => {
      const rates = expectedGoals(fit, r.home, r.away);
      lambdaHome[k] = rates.home;
      lambdaAway[k] = rates.away;
    });
  };
  // Newton on a log-link Poisson overshoots only when a step is large; capping it keeps the early
  // iterations of a badly started block inside the region where the quadratic model holds.
  const step = (gradient: number, information: number) => Math.max(-1, Math.min(1, gradient / information));
  const teamGradient = new Float64Array(teamCount);
  const teamInformation = new Float64Array(teamCount);

  const sideStep = (side: "home" | "both") => {
    let gradient = 0;
    let information = 0;
    rows.forEach((r, k) => {
      gradient += r.leagueWeight * (r.goalsHome - lambdaHome[k]!);
      information += r.leagueWeight * lambdaHome[k]!;
      if (side === "both") {
        gradient += r.leagueWeight * (r.goalsAway - lambdaAway[k]!);
        information += r.leagueWeight * lambdaAway[k]!;
      }
    });
    return step(gradient, information);
  };

  for (let iteration = 0; iteration < 200; iteration++) {
    let largest = 0;
    for (const block of ["attack", "weakness"] as const) {
      refresh();
      const values = fit[block];
      // The penalty is on strength s = (a − w)/2 and tempo g = (a + w)/2; moving a (or w) alone
      // moves both by a half, with sign +1 (or −1) for s.
      const sign = block === "attack" ? 1 : -1;
      const pull = (t: number) => {
        const a = fit.attack[t]! - attackCentre[t]!;
        const w = fit.weakness[t]! - weaknessCentre[t]!;
        return (sign * penalty.strength * (a - w) + penalty.tempo * (a + w)) / 4;
      };
      for (let t = 0; t < teamCount; t++) {
        teamGradient[t] = -pull(t);
        teamInformation[t] = (penalty.strength + penalty.tempo) / 4;
      }
      rows.forEach((r, k) => {
        // Attack acts on the goals a team scores, weakness on the goals it concedes.
        const homeSide = block === "attack" ? r.home : r.away;
        const awaySide = block === "attack" ? r.away : r.home;
        teamGradient[homeSide]! += r.weight * (r.goalsHome - lambdaHome[k]!);
        teamInformation[homeSide]! += r.weight * lambdaHome[k]!;
        teamGradient[awaySide]! += r.weight * (r.goalsAway - lambdaAway[k]!);
        teamInformation[awaySide]! += r.weight * lambdaAway[k]!;
      });
      for (let t = 0; t < teamCount; t++) {
        const delta = step(teamGradient[t]!, teamInformation[t]!);
        values[t]! += delta;
        largest = Math.max(largest, Math.abs(delta));
      }
      // Moving every value of the block by δ and the mean by −δ leaves every rate unchanged, so
      // only the ridge pins that direction and coordinate steps crawl along it; its exact optimum
      // is the shift that zeroes the penalty's pull summed over the block.
      let shift = 0;
      for (let t = 0; t < teamCount; t++) {
        shift += (4 * pull(t)) / (teamCount * (penalty.strength + penalty.tempo));
      }
      for (let t = 0; t < teamCount; t++) values[t]! -= shift;
      fit.mean += shift;
    }
    refresh();
    const meanDelta = sideStep("both");
    fit.mean += meanDelta;
    refresh();
    const homeDelta = sideStep("home");
    fit.home += homeDelta;
    largest = Math.max(largest, Math.abs(meanDelta), Math.abs(homeDelta));
    if (largest < 1e-9) break;
  }
  return fit;
}

/** ρ maximising the weighted τ likelihood of the low scores, rates fixed; concave, so Newton. */
function fitRho(rows: readonly Row[], fit: Fit): number {
  const low = rows
    .filter((r) => r.goalsHome <= 1 && r.goalsAway <= 1)
    .map((r) => ({ ...r, ...expectedGoals(fit, r.home, r.away) }));
  // Keeps τ positive on the fitted matches' cells; `tau` clamps at 0 for pairings more extreme.
  let bound = 1;
  for (const r of low) bound = Math.min(bound, 1 / r.home, 1 / r.away, 1 / (r.home * r.away));
  const lower = -0.95 * bound;
  const upper = 0.95 * bound;
  let rho = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let gradient = 0;
    let curvature = 0;
    for (const r of low) {
      const slope = tauSlope(r.goalsHome, r.goalsAway, r.home, r.away);
      const ratio = slope / (1 + rho * slope);
      gradient += r.weight * ratio;
      curvature += r.weight * ratio * ratio;
    }
    if (curvature === 0) return 0;
    const next = Math.max(lower, Math.min(upper, rho + gradient / curvature));
    if (Math.abs(next - rho) < 1e-12) break;
    rho = next;
  }
  return rho;
}

/** τ = 1 + ρ·slope on the four low-score cells, 1 elsewhere. */
function tauSlope(goalsHome: number, goalsAway: number, home: number, away: number): number {
  if (goalsHome === 0 && goalsAway === 0) return -home * away;
  if (goalsHome === 0 && goalsAway === 1) return home;
  if (goalsHome === 1 && goalsAway === 0) return away;
  if (goalsHome === 1 && goalsAway === 1) return -1;
  return 0;
}

function tau(goalsHome: number, goalsAway: number, home: number, away: number, rho: number): number {
  return rho === 0 ? 1 : Math.max(0, 1 + rho * tauSlope(goalsHome, goalsAway, home, away));
}

function poissonPmf(mean: number): Float64Array {
  const pmf = new Float64Array(maxGoals + 1);
  pmf[0] = Math.exp(-mean);
  for (let k = 1; k <= maxGoals; k++) pmf[k] = (pmf[k - 1]! * mean) / k;
  return pmf;
}

/**
 * Teams whose prior is the promoted-team one: those absent from the previous season (promoted
 * into the season being predicted) and those with no match in the window at all.
 */
function newcomerTeams(
  data: Dataset,
  played: readonly Match[],
  fittedAt: string,
  rows: readonly Row[],
  index: ReadonlyMap<string, number>,
): Set<number> {
  const upcoming = data.matches.find((m) => m.kickoff >= fittedAt) ?? played.at(-1)!;
  const previous = seasons[seasons.indexOf(upcoming.season) - 1];
  const newcomers = new Set<number>();
  if (previous) {
    const lastSeason = new Set(data.matches.filter((m) => m.season === previous).map((m) => m.home));
    for (const m of data.matches) {
      if (m.season === upcoming.season && !lastSeason.has(m.home)) newcomers.add(index.get(m.home)!);
    }
  }
  const seen = new Set(rows.flatMap((r) => [r.home, r.away]));
  for (let t = 0; t < data.teams.length; t++) if (!seen.has(t)) newcomers.add(t);
  return newcomers;
}

/** Mean log-strengths of the three weakest teams (attack minus weakness) with a full window. */
function weakestEstablished(
  fit: Fit,
  rows: readonly Row[],
  teamCount: number,
  newcomers: ReadonlySet<number>,
): { attack: number; weakness: number } {
  const exposure = new Float64Array(teamCount);
  for (const r of rows) {
    exposure[r.home]! += r.weight;
    exposure[r.away]! += r.weight;
  }
  const maxExposure = Math.max(...exposure);
  const established = [...exposure.keys()].filter(
    (t) => !newcomers.has(t) && exposure[t]! >= maxExposure / 2,
  );
  const candidates =
    established.length >= 3 ? established : [...exposure.keys()].filter((t) => exposure[t]! > 0);
  const weakest = candidates
    .sort((a, b) => fit.attack[a]! - fit.weakness[a]! - (fit.attack[b]! - fit.weakness[b]!) || a - b)
    .slice(0, 3);
  const mean = (values: Float64Array) => weakest.reduce((s, t) => s + values[t]!, 0) / weakest.length;
  return { attack: mean(fit.attack), weakness: mean(fit.weakness) };
}
