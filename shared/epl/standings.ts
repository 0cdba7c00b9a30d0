import type { Dataset, Match, Season } from "./dataset.js";

export interface StandingRow {
  position: number;
  team: string;
  played: number;
  won: number;
  drawn: number;
  lost: number;
  goalsFor: number;
  goalsAgainst: number;
  goalDifference: number;
  points: number;
  /** Last five results, oldest first: `W`, `D` or `L`. */
  form: string;
}

/** Tables kept per dataset: a dataset never changes once loaded (live views are new datasets). */
const tables = new WeakMap<Dataset, Map<string, readonly StandingRow[]>>();
/** Distinct (season, before) tables kept per dataset; `before` may be any instant. */
const maxTablesPerDataset = 64;

/**
 * The league table of `season` from its finished matches (up to `before`, an ISO instant, when
 * given). Ordered by points, goal difference, goals scored, then name: the Premier League's
 * tie-breakers before head-to-head, which the table never needs for distinct rows here.
 * Computed once per dataset and question (every agent run that looks at the table asks again),
 * so the rows are frozen.
 */
export function standings(data: Dataset, season: Season, before?: string): readonly StandingRow[] {
  let byQuestion = tables.get(data);
  if (byQuestion === undefined) {
    byQuestion = new Map();
    tables.set(data, byQuestion);
  }
  const key = `${season}|${before ?? ""}`;
  let table = byQuestion.get(key);
  if (table === undefined) {
    if (byQuestion.size >= maxTablesPerDataset) byQuestion.clear();
    table = Object.freeze(computeStandings(data, season, before).map((row) => Object.freeze(row)));
    byQuestion.set(key, table);
  }
  return table;
}

function computeStandings(data: Dataset, season: Season, before?: string): StandingRow[] {
  const rows = new Map<
    string,
    Omit<StandingRow, "position" | "goalDifference" | "form"> & { results: string[] }
  >();
  const row = (team: string) => {
    let r = rows.get(team);
    if (!r) {
      r = {
        team,
        played: 0,
        won: 0,
        drawn: 0,
        lost: 0,
        goalsFor: 0,
        goalsAgainst: 0,
        points: 0,
        results: [],
      };
      rows.set(team, r);
    }
    return r;
  };
  for (const m of data.matches) {
    if (m.season !== season) continue;
    row(m.home);
    row(m.away);
    if (!isPlayed(m, before)) continue;
    const { home, away } = m.fullTime!;
    record(row(m.home), home, away);
    record(row(m.away), away, home);
  }
  return [...rows.values()]
    .map(({ results, ...r }) => ({
      ...r,
      goalDifference: r.goalsFor - r.goalsAgainst,
      form: results.slice(-5).join(""),
    }))
    .sort(
      (a, b) =>
        b.points - a.points ||
        b.goalDifference - a.goalDifference ||
        b.goalsFor - a.goalsFor ||
        a.team.localeCompare(b.team),
    )
    .map((r, i) => ({ position: i + 1, ...r }));
}

function record(
  r: {
    played: number;
    won: number;
    drawn: number;
    lost: number;
    goalsFor: number;
    goalsAgainst: number;
    points: number;
    results: string[];
  },
  scored: number,
  conceded: number,
): void {
  r.played++;
  r.goalsFor += scored;
  r.goalsAgainst += conceded;
  if (scored > conceded) {
    r.won++;
    r.points += 3;
    r.results.push("W");
  } else if (scored === conceded) {
    r.drawn++;
    r.points += 1;
    r.results.push("D");
  } else {
    r.lost++;
    r.results.push("L");
  }
}

export function isPlayed(m: Match, before?: string): boolean {
  return m.status === "finished" && (before === undefined || m.kickoff < before);
}

export interface TeamForm {
  team: string;
  matches: {
    matchId: string;
    date: string;
    opponent: string;
    venue: "home" | "away";
    score: string;
    result: "W" | "D" | "L";
  }[];
  won: number;
  drawn: number;
  lost: number;
  goalsFor: number;
  goalsAgainst: number;
  points: number;
}

/** The team's last `count` finished matches across seasons (before `before` when given), newest first. */
export function teamForm(data: Dataset, team: string, count = 5, before?: string): TeamForm {
  const form: TeamForm = {
    team,
    matches: [],
    won: 0,
    drawn: 0,
    lost: 0,
    goalsFor: 0,
    goalsAgainst: 0,
    points: 0,
  };
  for (let i = data.matches.length - 1; i >= 0 && form.matches.length < count; i--) {
    const m = data.matches[i]!;
    if ((m.home !== team && m.away !== team) || !isPlayed(m, before)) continue;
    const venue = m.home === team ? "home" : "away";
    const scored = venue === "home" ? m.fullTime!.home : m.fullTime!.away;
    const conceded = venue === "home" ? m.fullTime!.away : m.fullTime!.home;
    const result = scored > conceded ? "W" : scored === conceded ? "D" : "L";
    form.matches.push({
      matchId: m.id,
      date: m.date,
      opponent: venue === "home" ? m.away : m.home,
      venue,
      score: `${m.fullTime!.home}-${m.fullTime!.away}`,
      result,
    });
    form.goalsFor += scored;
    form.goalsAgainst += conceded;
    if (result === "W") form.won++;
    else if (result === "D") form.drawn++;
    else form.lost++;
    form.points += result === "W" ? 3 : result === "D" ? 1 : 0;
  }
  return form;
}
