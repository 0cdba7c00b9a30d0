import type { MatchProbabilities } from "./model.js";

export type MarketKind = "1x2" | "ou25" | "btts";

/** The three markets opened on every fixture; outcome names are the protocol's outcome keys. */
export const marketKinds: Readonly<Record<MarketKind, { outcomes: readonly string[]; title: string }>> =
  Object.freeze({
    "1x2": Object.freeze({ outcomes: Object.freeze(["home", "draw", "away"]), title: "Match result" }),
    ou25: Object.freeze({ outcomes: Object.freeze(["over", "under"]), title: "Total goals over/under 2.5" }),
    btts: Object.freeze({ outcomes: Object.freeze(["yes", "no"]), title: "Both teams to score" }),
  });

const subjectSafe = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

/**
 * `<matchId>.<kind>`, e.g. `2025-26-arsenal-chelsea.1x2`. It is embedded in NATS subjects
 * (`live.market.<id>`), so a match id carrying anything but letters, digits, `-` and `.` —
 * a wildcard or a space would change what the subject matches — is refused.
 */
export function marketId(matchId: string, kind: MarketKind): string {
  const id = `${matchId}.${kind}`;
  if (!subjectSafe.test(id)) throw new Error(`match id "${matchId}" cannot form a NATS subject token`);
  return id;
}

/** Outcome → probability for the market, summing to 1 (the model's tails are already renormalised). */
export function marketPrices(kind: MarketKind, p: MatchProbabilities): Record<string, number> {
  switch (kind) {
    case "1x2":
      return normalised({ home: p.home, draw: p.draw, away: p.away });
    case "ou25":
      return normalised({ over: p.over25, under: p.under25 });
    case "btts":
      return normalised({ yes: p.bttsYes, no: p.bttsNo });
  }
}

/** The outcome a market settles on, from the full-time score. */
export function winningOutcome(kind: MarketKind, finalScore: { home: number; away: number }): string {
  const { home, away } = finalScore;
  switch (kind) {
    case "1x2":
      return home > away ? "home" : home === away ? "draw" : "away";
    case "ou25":
      return home + away > 2.5 ? "over" : "under";
    case "btts":
      return home > 0 && away > 0 ? "yes" : "no";
  }
}

/**
 * The outcome the score already decides, whatever the rest of the match brings: goals are never
 * taken back, so over 2.5 is won by the third goal and both-teams-to-score "yes" by the second
 * side's first. Undefined while the market is still open to the rest of the match — the match
 * result always is, and "under" and "no" are only won at full time (`winningOutcome`).
 */
export function decidedOutcome(kind: MarketKind, score: { home: number; away: number }): string | undefined {
  switch (kind) {
    case "1x2":
      return undefined;
    case "ou25":
      return score.home + score.away > 2.5 ? "over" : undefined;
    case "btts":
      return score.home > 0 && score.away > 0 ? "yes" : undefined;
  }
}

// Floating-point sums drift by ~1e-16; the LMSR and the ledger expect prices that sum to 1.
function normalised(prices: Record<string, number>): Record<string, number> {
  const total = Object.values(prices).reduce((s, v) => s + v, 0);
  return Object.fromEntries(Object.entries(prices).map(([k, v]) => [k, v / total]));
}
