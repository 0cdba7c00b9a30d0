import { shortName } from "../../../../shared/epl/dataset.js";
import type { FixtureView } from "../../platform/fixtures.js";
import type { Question } from "./question.js";
import type { Finding } from "./skill.js";
import type { TradeAsk } from "./trade-words.js";

export type Findings = ReadonlyMap<string, readonly Finding[]>;

/** The fixture `findMarkets` put first (the most tradeable), once it has answered. */
export function foundFixture(findings: Findings): FixtureView | undefined {
  const found = findings.get("findMarkets")?.at(-1)?.output as { fixtures?: FixtureView[] } | undefined;
  return found?.fixtures?.[0];
}

/** What a skill asks `findMarkets`/`getValue`/`getLiveScore` about: the context's match, or the teams named. */
export function fixtureQuery(q: Question): { matchId: string } | { teams: string } | undefined {
  if (q.matchId !== undefined) return { matchId: q.matchId };
  if (q.teams.length === 0) return undefined;
  return { teams: q.teams.slice(0, 2).map(shortName).join(" v ") };
}

/** The market and outcome a trade's target means in `fixture` (a team is home or away there). */
export function resolveTarget(
  target: TradeAsk["target"],
  fixture: FixtureView,
): { marketId: string; outcome: string } | undefined {
  const wanted =
    "team" in target
      ? {
          kind: "1x2",
          outcome: fixture.home === target.team ? "home" : fixture.away === target.team ? "away" : undefined,
        }
      : target;
  const market = fixture.markets.find((m) => m.kind === wanted.kind);
  if (!market || wanted.outcome === undefined) return undefined;
  return { marketId: market.marketId, outcome: wanted.outcome };
}

export function fixtureName(f: { home: string; away: string }): string {
  return `${shortName(f.home)} v ${shortName(f.away)}`;
}

const kindNames: Record<string, string> = {
  "1x2": "match result",
  ou25: "over/under 2.5 goals",
  btts: "both teams to score",
};

export function kindName(kind: string): string {
  return kindNames[kind] ?? kind;
}

/** "home (Arsenal)", "over 2.5", "both teams to score: yes". */
export function outcomeName(
  marketId: string,
  outcome: string,
  fixture?: { home: string; away: string },
): string {
  const kind = marketId.slice(marketId.lastIndexOf(".") + 1);
  if (kind === "1x2" && fixture && outcome !== "draw") {
    return `${outcome} (${shortName(outcome === "home" ? fixture.home : fixture.away)})`;
  }
  if (kind === "ou25") return `${outcome} 2.5 goals`;
  if (kind === "btts") return `both teams to score: ${outcome}`;
  return outcome;
}

/** Credits as people read them: 2 decimals. */
export function cr(n: number): string {
  return `${n.toFixed(2)} credits`;
}

export function pct(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}
