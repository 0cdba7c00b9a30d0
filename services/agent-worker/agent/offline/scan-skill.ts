import type { FixtureGap, LiveMatch, PriceMove } from "../../platform/market-scan.js";
import { fixtureName, kindName, outcomeName } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

const scans = {
  movers: /\b(mov(e|es|ed|ing|ers?|ements?)|swing\w*|shift\w*|drift\w*|changed|biggest changes?)\b/,
  value: /\b(mispric\w*|value|edges?|gaps?|underpric\w*|overpric\w*|bargains?|best bets?|disagree\w*)\b/,
  live: /\b(live|in[- ]play|playing (now|right now)|on now|happening|kicked off|being played)\b/,
} as const;

type ScanOutput =
  | { scan: "movers"; openMarkets: number; moves: PriceMove[] }
  | { scan: "value"; openMarkets: number; gaps: FixtureGap[] }
  | { scan: "live"; openMarkets: number; matches: LiveMatch[] };

/** A gap this small is the market maker's rounding, not a view. */
const meaningfulEdge = 0.02;

export const scanMarketsSkill: OfflineSkill = {
  tool: "scanMarkets",
  topic: "league-wide scans: the biggest price moves, model-vs-price gaps and live matches",
  plan(q) {
    // A question about named clubs or a given match is answered on that fixture.
    if (q.teams.length > 0 || q.matchId !== undefined || q.trade) return [];
    return (Object.keys(scans) as (keyof typeof scans)[])
      .filter((scan) => scans[scan].test(q.lower))
      .map((scan) => ({ scan }));
  },
  write(findings) {
    return findings.map((f) => {
      const out = f.output as ScanOutput;
      if (out.scan === "movers") return movers(out.moves, out.openMarkets);
      if (out.scan === "value") return gaps(out.gaps, out.openMarkets);
      return live(out.matches);
    });
  },
};

function movers(moves: PriceMove[], open: number): string {
  if (moves.length === 0) {
    return `None of the ${plural(open, "open market")} has moved since it opened: every price is still its opening price.`;
  }
  const lines = moves.map(
    (m, i) =>
      `${i + 1}. ${m.title}: ${m.outcome} ${m.from} → ${m.to} (${m.change > 0 ? "+" : ""}${m.change}, over ${plural(m.points, "price point")}${m.status === "open" ? "" : `, ${m.status}`})`,
  );
  return `The biggest price moves across the ${plural(open, "open market")}, largest first:\n${lines.join("\n")}`;
}

function gaps(found: FixtureGap[], open: number): string {
  if (found.length === 0) return `No fixture has an open market to compare with the model (${open} open).`;
  const lines = found.map(
    (g, i) =>
      `${i + 1}. ${fixtureName(g)} (${g.kickoff.slice(0, 10)}, ${g.status}): ${outcomeName(g.best.marketId, g.best.outcome, g)} in ${kindName(g.best.kind)}, model ${g.best.model} against price ${g.best.price} (edge ${g.best.edge! > 0 ? "+" : ""}${g.best.edge})`,
  );
  const top = found[0]!.best.edge!;
  const verdict =
    top > meaningfulEdge
      ? `The widest gap is ${fixtureName(found[0]!)}: the market underprices it by ${top} against the model.`
      : `No gap reaches ${meaningfulEdge}: the markets sit on the model's numbers, which opened them, so there is no mispricing to call until trading moves a price.`;
  return `Each fixture's largest model-vs-price gap, widest first:\n${lines.join("\n")}\n${verdict}`;
}

function live(matches: LiveMatch[]): string {
  if (matches.length === 0) return "No match is being played right now: no fixture with markets is live.";
  const lines = matches.map((m) => {
    const score = m.score ? `${m.score.home}-${m.score.away}` : "";
    const clock = m.status === "halftime" ? "half time" : `${m.minute}'`;
    const prices = m.prices
      ? `; 1X2 ${Object.entries(m.prices)
          .map(([o, p]) => `${o} ${p}`)
          .join(", ")}`
      : "";
    return `${fixtureName(m)} ${score}, ${clock}${prices}`;
  });
  return `${plural(matches.length, "match is", "matches are")} live: ${lines.join("; ")}.`;
}
