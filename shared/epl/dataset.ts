import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The shipped real Premier League results (data/epl, CC0; see data/epl/README.md). Loaded once
 * and immutable. `home` is the data's `team1`. Kick-off times in the data are UK local time;
 * `kickoff` is the same instant in UTC.
 */
export const seasons = ["2023-24", "2024-25", "2025-26"] as const;
export type Season = (typeof seasons)[number];
/** The season the league is playing: the newest in the data. */
export const currentSeason: Season = seasons[seasons.length - 1]!;

export interface Score {
  home: number;
  away: number;
}

export interface Match {
  /** Stable id: `<season>-<home slug>-<away slug>`, e.g. `2025-26-arsenal-chelsea`. */
  id: string;
  season: Season;
  round: number;
  /** ISO date of the fixture (YYYY-MM-DD). */
  date: string;
  /** ISO-8601 UTC kick-off; the date at 15:00 UK time when the data has no time. */
  kickoff: string;
  home: string;
  away: string;
  status: "finished" | "scheduled" | "postponed";
  halfTime?: Score;
  fullTime?: Score;
}

export interface Dataset {
  matches: readonly Match[];
  teams: readonly string[];
  byId: ReadonlyMap<string, Match>;
}

export const defaultDataDir = fileURLToPath(new URL("../../data/epl/", import.meta.url));

interface RawMatch {
  round: string;
  date: string;
  time?: string;
  team1: string;
  team2: string;
  status?: string;
  score?: { ht?: [number, number]; ft?: [number, number] };
}

let cached: Dataset | undefined;

/** The dataset of the shipped files (cached), or of another folder with the same file names. */
export function loadDataset(dir: string = defaultDataDir): Dataset {
  if (dir === defaultDataDir && cached) return cached;
  const matches: Match[] = [];
  for (const season of seasons) {
    const raw = JSON.parse(readFileSync(`${dir}/en.1.${season}.json`, "utf8")) as { matches: RawMatch[] };
    for (const m of raw.matches) matches.push(toMatch(season, m));
  }
  matches.sort((a, b) => a.kickoff.localeCompare(b.kickoff) || a.id.localeCompare(b.id));
  const teams = [...new Set(matches.map((m) => m.home))].sort();
  const dataset: Dataset = Object.freeze({
    matches: Object.freeze(matches),
    teams: Object.freeze(teams),
    byId: new Map(matches.map((m) => [m.id, m])),
  });
  if (dir === defaultDataDir) cached = dataset;
  return dataset;
}

function toMatch(season: Season, m: RawMatch): Match {
  const ft = m.score?.ft;
  const ht = m.score?.ht;
  const match: Match = {
    id: `${season}-${teamSlug(m.team1)}-${teamSlug(m.team2)}`,
    season,
    round: Number.parseInt(m.round.replace(/\D+/g, ""), 10) || 0,
    date: m.date,
    kickoff: ukLocalToUtc(m.date, m.time ?? "15:00"),
    home: m.team1,
    away: m.team2,
    status: ft ? "finished" : m.status === "postponed" ? "postponed" : "scheduled",
  };
  if (ft) {
    match.fullTime = { home: ft[0], away: ft[1] };
    // The data omits `ht` only for 0-0 draws, whose half-time score is necessarily 0-0.
    match.halfTime = ht ? { home: ht[0], away: ht[1] } : { home: 0, away: 0 };
  }
  return match;
}

/** `Brighton & Hove Albion FC` → `brighton-and-hove-albion`. */
export function teamSlug(team: string): string {
  return shortName(team)
    .toLowerCase()
    .replace(/&/g, "and")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** The name fans use: `Arsenal FC` → `Arsenal`, `AFC Bournemouth` → `Bournemouth`. */
export function shortName(team: string): string {
  return team.replace(/\s+(FC|AFC)$/, "").replace(/^AFC\s+/, "");
}

/** UK wall-clock hours; one formatter for every match (building one is slow). */
const london = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  hour: "2-digit",
  hourCycle: "h23",
});

function ukLocalToUtc(date: string, time: string): string {
  const guess = new Date(`${date}T${time}:00Z`);
  const offsetHours = Number(london.format(guess)) - guess.getUTCHours();
  return new Date(guess.getTime() - ((offsetHours + 24) % 24) * 3_600_000).toISOString();
}
