import type { Match } from "../../shared/epl/dataset.js";
import { elapsedGoalShare } from "../../shared/epl/in-play.js";
import { seededRandom } from "./seeded-random.js";

export type MatchEventKind = "kickoff" | "goal" | "halftime" | "second_half" | "fulltime" | "minute" | "card";
export type Side = "home" | "away";

/** One thing that happens in a match, before it is told as a `match.<id>` event. */
export interface Happening {
  kind: MatchEventKind;
  /** The match clock, 0–90; stoppage time is folded into minutes 45 and 90. */
  minute: number;
  side?: Side;
}

/**
 * Yellow and red cards per team per match in the Premier League (about 2 a side); there is no
 * card data in the shipped results, so this is the league's usual rate, spread evenly.
 */
const cardsPerTeam = 2;

/**
 * A whole match in order: kickoff (0), then each minute's tick followed by what happened in it
 * (home goal, away goal, home card, away card: at most one of each per minute), half time and
 * second half at 45, full time at 90. Every happening has a distinct `rank` that increases along
 * the script, which is how a feed taking over finds where the last one stopped.
 */
function script(goalMinutes: Record<Side, ReadonlySet<number>>, random: () => number): Happening[] {
  const happenings: Happening[] = [{ kind: "kickoff", minute: 0 }];
  for (let minute = 1; minute <= 90; minute++) {
    happenings.push({ kind: "minute", minute });
    for (const side of ["home", "away"] as const) {
      if (goalMinutes[side].has(minute)) happenings.push({ kind: "goal", minute, side });
    }
    for (const side of ["home", "away"] as const) {
      if (random() < cardsPerTeam / 90) happenings.push({ kind: "card", minute, side });
    }
    if (minute === 45) happenings.push({ kind: "halftime", minute }, { kind: "second_half", minute });
  }
  happenings.push({ kind: "fulltime", minute: 90 });
  return happenings;
}

/**
 * A fixture simulated from the in-play model: in each minute a side scores with probability
 * 1 − exp(−λ·(share(m) − share(m−1))), where λ is its full-match rate and `share` the in-play
 * model's goal-intensity profile, so scoring rises through the match as the prices assume.
 */
export function simulatedScript(
  matchId: string,
  rates: { home: number; away: number },
  seed: string,
): Happening[] {
  const random = seededRandom(seed, matchId, "simulated");
  const goals = { home: new Set<number>(), away: new Set<number>() };
  for (let minute = 1; minute <= 90; minute++) {
    const share = elapsedGoalShare(minute) - elapsedGoalShare(minute - 1);
    for (const side of ["home", "away"] as const) {
      if (random() < 1 - Math.exp(-rates[side] * share)) goals[side].add(minute);
    }
  }
  return script(goals, random);
}

/**
 * A finished real match told again: each side's first-half goals in distinct minutes of 1–45 and
 * the rest in 46–90, drawn with the in-play intensity profile, so the score at half time and full
 * time is the real one. Cards are drawn as in a simulation.
 */
export function replayScript(match: Match, seed: string): Happening[] {
  const { halfTime, fullTime } = match;
  if (match.status !== "finished" || halfTime === undefined || fullTime === undefined)
    throw new Error(`${match.id} has not been played: only finished matches can be replayed`);
  const random = seededRandom(seed, match.id, "replay");
  const goals = { home: new Set<number>(), away: new Set<number>() };
  for (const side of ["home", "away"] as const) {
    for (const m of pickMinutes(halfTime[side], 1, 45, random)) goals[side].add(m);
    for (const m of pickMinutes(fullTime[side] - halfTime[side], 46, 90, random)) goals[side].add(m);
  }
  return script(goals, random);
}

/** `count` distinct minutes of [first, last], each weighted by its share of the goal intensity. */
function pickMinutes(count: number, first: number, last: number, random: () => number): number[] {
  const candidates: { minute: number; weight: number }[] = [];
  for (let minute = first; minute <= last; minute++) {
    candidates.push({ minute, weight: elapsedGoalShare(minute) - elapsedGoalShare(minute - 1) });
  }
  if (count > candidates.length) throw new Error(`${count} goals do not fit in minutes ${first}–${last}`);
  const picked: number[] = [];
  for (let n = 0; n < count; n++) {
    const total = candidates.reduce((s, c) => s + c.weight, 0);
    let target = random() * total;
    let index = candidates.findIndex((c) => {
      target -= c.weight;
      return target < 0;
    });
    if (index < 0) index = candidates.length - 1;
    picked.push(candidates[index]!.minute);
    candidates.splice(index, 1);
  }
  return picked;
}

const kindRank: Record<MatchEventKind, number> = {
  kickoff: 0,
  minute: 1,
  goal: 2,
  card: 4,
  halftime: 6,
  second_half: 7,
  fulltime: 8,
};

/** A total order on a match's happenings: the script is sorted by it and no two share a rank. */
export function rank(h: { kind: MatchEventKind; minute: number; side?: Side | undefined }): number {
  return h.minute * 10 + kindRank[h.kind] + (h.side === "away" ? 1 : 0);
}
