import type { Dataset, Match } from "../../../shared/epl/dataset.js";
import { findTeam, teamsMentioned } from "../../../shared/epl/teams.js";
import { AppError } from "../../../shared/errors.js";
import type { Exchange } from "../../exchange/client.js";
import type { LiveScores, MatchState } from "./live-scores.js";

export interface MarketSummary {
  marketId: string;
  kind: string;
  status: string;
  prices: Record<string, number>;
  winner?: string;
}

export interface FixtureView {
  matchId: string;
  home: string;
  away: string;
  kickoff: string;
  /** Live from the match feed when it has played the fixture (live, halftime…), else from the results. */
  status: MatchState["status"];
  /** While the fixture is in play. */
  minute?: number;
  score?: string;
  markets: MarketSummary[];
}

/** Fixtures whose markets one search looks up: the next ones to play and the latest played. */
const maxCandidates = 12;

/**
 * The teams a person named: each name of the text the dataset recognises ("Arsenal v Man City"),
 * else each part of it resolved alone, so misspelt or partial names ("Brighton", "Forest") work.
 */
export function resolveTeams(data: Dataset, text: string): string[] {
  const named = teamsMentioned(data, text.replace(/['’]s\b/g, ""));
  if (named.length > 0) return named;
  const parts = text.split(/\s+(?:v|vs|versus|against|and|at)\.?\s+|\s*[,/]\s*|\s+-\s+/i);
  return [...new Set(parts.flatMap((part) => findTeam(data, part) ?? []))];
}

const byTeam = new WeakMap<Dataset, Map<string, Match[]>>();

/** A team's matches in the dataset's order, indexed once per dataset (every agent run asks). */
function matchesOf(epl: Dataset, team: string): readonly Match[] {
  let index = byTeam.get(epl);
  if (index === undefined) {
    index = new Map();
    for (const m of epl.matches) {
      for (const side of [m.home, m.away]) index.set(side, [...(index.get(side) ?? []), m]);
    }
    byTeam.set(epl, index);
  }
  return index.get(team) ?? [];
}

/**
 * Fixtures of the named teams (their meetings when two are named, else the first one's matches),
 * most tradeable first: those with open markets by kick-off (a replayed match may have them), then
 * the next to be played, then the latest played; with `upcoming`, open fixtures not yet kicked off
 * come before those in play. Each comes with its markets on the exchange
 * (none for a fixture never opened).
 */
export async function findFixtures(
  services: { epl: Dataset; exchange: Exchange; live?: LiveScores },
  query: { teams?: string | undefined; matchId?: string | undefined; upcoming?: boolean | undefined },
  limit: number,
): Promise<{ teams: string[]; fixtures: FixtureView[] }> {
  const { epl, exchange } = services;
  let teams: string[] = [];
  let candidates: readonly Match[];
  if (query.matchId !== undefined) {
    const match = epl.byId.get(query.matchId);
    if (!match) throw new AppError("not_found", `no fixture ${query.matchId}`);
    candidates = [match];
    teams = [match.home, match.away];
  } else {
    teams = resolveTeams(epl, query.teams ?? "");
    if (teams.length === 0) {
      throw new AppError("not_found", `no Premier League team recognised in "${query.teams ?? ""}"`);
    }
    const [a, b] = teams as [string, string | undefined];
    candidates = matchesOf(epl, a).filter((m) => b === undefined || m.home === b || m.away === b);
  }
  // The next fixtures and the latest played ones are the only candidates worth a market lookup.
  const upcoming = candidates.filter((m) => m.status !== "finished").slice(0, maxCandidates / 2);
  const played = candidates.filter((m) => m.status === "finished").slice(-maxCandidates / 2);
  const looked = await Promise.all(
    [...upcoming, ...played].map(async (m) => ({
      match: m,
      markets: await exchange.listMarkets({ matchId: m.id }),
      state: await services.live?.match(m.id),
    })),
  );
  const inPlay = (state: MatchState | undefined) => state?.status === "live" || state?.status === "halftime";
  // Asked for the next fixture (an alert on what is to come), a match already under way comes after it.
  const rank = ({ match, markets, state }: (typeof looked)[number]) =>
    markets.some((k) => k.status === "open")
      ? query.upcoming && inPlay(state)
        ? 0.5
        : 0
      : match.status === "finished"
        ? 2
        : 1;
  const fixtures = looked
    .sort(
      (x, y) =>
        rank(x) - rank(y) ||
        (rank(x) === 2
          ? y.match.kickoff.localeCompare(x.match.kickoff)
          : x.match.kickoff.localeCompare(y.match.kickoff)),
    )
    .slice(0, limit)
    .map(({ match: m, markets, state }): FixtureView => {
      const view: FixtureView = {
        matchId: m.id,
        home: m.home,
        away: m.away,
        kickoff: m.kickoff,
        status: m.status,
        markets: markets.map((k) => ({
          marketId: k.marketId,
          kind: k.kind,
          status: k.status,
          prices: k.prices,
          ...(k.winner === undefined ? {} : { winner: k.winner }),
        })),
      };
      if (state?.source === "live") {
        view.status = state.status;
        if (state.status === "live" || state.status === "halftime") view.minute = state.minute;
        if (state.score) view.score = `${state.score.home}-${state.score.away}`;
      } else if (m.fullTime) {
        view.score = `${m.fullTime.home}-${m.fullTime.away}`;
      }
      return view;
    });
  return { teams, fixtures };
}
