import type { Happening } from "./match-script.js";

/** Half time lasts as long as this many match minutes: long enough to notice, short on the clock. */
export const halfTimeBreakMinutes = 5;

/**
 * When each happening falls on the wall clock, from kick-off, for a match whose 90 minutes last
 * `matchDurationMs` (half time adds `halfTimeBreakMinutes` of those minutes). A minute's events
 * fall at its end; full time falls with the 90th minute.
 */
export interface MatchTimeline {
  readonly minuteMs: number;
  /** Kick-off to full time. */
  readonly totalMs: number;
  offsetMs(h: Pick<Happening, "kind" | "minute">): number;
}

export function matchTimeline(matchDurationMs: number): MatchTimeline {
  const minuteMs = matchDurationMs / 90;
  return {
    minuteMs,
    totalMs: (90 + halfTimeBreakMinutes) * minuteMs,
    offsetMs(h) {
      if (h.kind === "kickoff") return 0;
      const afterBreak = h.minute > 45 || h.kind === "second_half";
      return (h.minute + (afterBreak ? halfTimeBreakMinutes : 0)) * minuteMs;
    },
  };
}
