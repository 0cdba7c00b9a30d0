import type { MatchProbabilities } from "./model.js";
import { scoreProbabilities } from "./model.js";

/**
 * Goal intensity rises linearly through a match, ending `rise` above where it starts:
 * intensity(t) ∝ 1 + rise·t/90. Premier League goals come late — tired legs, chasing teams, and
 * the longer stoppage time of second halves — and 43.8% of the 3,168 goals in the shipped
 * results came before half-time. With rise = 2/3 the profile puts 7/16 = 43.75% there.
 */
const rise = 2 / 3;

/**
 * Share of a full match's expected goals that falls before `minute` on a 90-minute clock
 * (stoppage time folded into the minutes before 45 and 90): 0 at kick-off, 1 at full time.
 */
export function elapsedGoalShare(minute: number): number {
  const t = Math.min(90, Math.max(0, minute));
  return (t + (rise * t * t) / 180) / (90 * (1 + rise / 2));
}

/**
 * Market probabilities in play: the goals still to come are Poisson with the full-match
 * `rates` scaled by the share of intensity left after `minute`, with the same Dixon–Coles ρ,
 * added to `score`. At minute 0 and 0-0 this is exactly the pre-match `Model.predict`, so prices
 * do not jump at kick-off; as the rates left shrink, τ's effect fades with them. From minute 90 on the match is treated
 * as over and the probabilities are the settled result (0 or 1), so a feed that shows stoppage
 * time must hold the minute below 90 until the final whistle.
 */
export function inPlayProbabilities(
  rates: { home: number; away: number; rho?: number },
  minute: number,
  score: { home: number; away: number },
): MatchProbabilities {
  if (!Number.isFinite(minute)) throw new Error(`minute must be a finite number, got ${minute}`);
  for (const rate of [rates.home, rates.away]) {
    if (!Number.isFinite(rate) || rate < 0)
      throw new Error(`a goal rate is finite and non-negative, got ${rate}`);
  }
  for (const goals of [score.home, score.away]) {
    if (!Number.isInteger(goals) || goals < 0)
      throw new Error(`a score is a non-negative integer, got ${goals}`);
  }
  if (minute >= 90) return settled(score);
  const left = 1 - elapsedGoalShare(minute);
  return scoreProbabilities({ home: rates.home * left, away: rates.away * left, rho: rates.rho }, score);
}

function settled(score: { home: number; away: number }): MatchProbabilities {
  const certain = (outcome: boolean) => (outcome ? 1 : 0);
  return {
    home: certain(score.home > score.away),
    draw: certain(score.home === score.away),
    away: certain(score.home < score.away),
    over25: certain(score.home + score.away > 2),
    under25: certain(score.home + score.away <= 2),
    bttsYes: certain(score.home > 0 && score.away > 0),
    bttsNo: certain(score.home === 0 || score.away === 0),
    expectedGoals: { home: score.home, away: score.away },
  };
}
