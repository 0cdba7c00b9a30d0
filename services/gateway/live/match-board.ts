import type { LiveEvent } from "../../../shared/bus/live-stream/live-stream.js";
import type { Dataset, Match, Score, Season } from "../../../shared/epl/dataset.js";

/** A `match.<id>` event's data (docs/protocol.md "Channels"). */
export interface MatchEventData {
  matchId: string;
  kind: "kickoff" | "goal" | "halftime" | "second_half" | "fulltime" | "minute" | "card";
  minute: number;
  score: Score;
  team?: string;
  player?: string;
}

export type MatchStatus = "scheduled" | "live" | "finished" | "postponed";

/** A fixture with its live state: the `match.<id>` snapshot and the `/api/matches` item. */
export interface MatchView {
  matchId: string;
  season: Season;
  round: number;
  kickoff: string;
  home: string;
  away: string;
  status: MatchStatus;
  /** Present once the match has started (live or finished). */
  minute?: number;
  score?: Score;
  halfTime?: Score;
}

/** How many of the league's latest match events the `scores` snapshot carries (docs/protocol.md). */
export const recentScoresMax = 20;

/**
 * The league's fixtures merged with the latest live event of each match, kept by the gateway's
 * one `match.*` subscription. Bounded: one event per fixture of the dataset plus the last
 * `recentScoresMax` events; events of matches the dataset does not know are ignored.
 */
export interface MatchBoard {
  /** Takes an event if it is the newest seen for its match (from the subscription or a seed). */
  apply(event: LiveEvent): void;
  view(matchId: string): MatchView | undefined;
  /** The latest event of a match, if the board holds one. */
  latest(matchId: string): LiveEvent | undefined;
  /** The fixture with `event` (its latest event as read elsewhere) instead of the board's. */
  viewWith(matchId: string, event: LiveEvent | undefined): MatchView | undefined;
  list(filter: { season: Season; status?: MatchStatus }): MatchView[];
  /** The latest match events of the league, oldest first (at most `recentScoresMax`). */
  recent(): LiveEvent[];
  /** The dataset with the results of matches finished live written in (for the table). */
  results(): Dataset;
}

export function createMatchBoard(dataset: Dataset): MatchBoard {
  const latest = new Map<string, LiveEvent>();
  let recent: LiveEvent[] = [];

  const newer = (event: LiveEvent, than: LiveEvent | undefined) =>
    than === undefined || event.epoch !== than.epoch || event.seq > than.seq;

  function view(match: Match, event: LiveEvent | undefined): MatchView {
    const base: MatchView = {
      matchId: match.id,
      season: match.season,
      round: match.round,
      kickoff: match.kickoff,
      home: match.home,
      away: match.away,
      status: match.status,
    };
    if (event !== undefined) {
      const data = event.data as MatchEventData;
      return {
        ...base,
        status: data.kind === "fulltime" ? "finished" : "live",
        minute: data.minute,
        score: { home: data.score.home, away: data.score.away },
      };
    }
    if (match.fullTime === undefined) return base;
    const finished: MatchView = { ...base, minute: 90, score: { ...match.fullTime } };
    if (match.halfTime !== undefined) finished.halfTime = { ...match.halfTime };
    return finished;
  }

  return {
    apply(event) {
      const matchId = (event.data as Partial<MatchEventData> | null)?.matchId;
      if (typeof matchId !== "string" || !dataset.byId.has(matchId)) return;
      if (!newer(event, latest.get(matchId))) return;
      latest.set(matchId, event);
      // Seeds arrive out of order (one per match); live events in order: keep the list sorted.
      recent.push(event);
      if (recent.length > 1 && recent[recent.length - 2]!.seq > event.seq)
        recent.sort((a, b) => a.seq - b.seq);
      if (recent.length > recentScoresMax) recent = recent.slice(-recentScoresMax);
    },
    view(matchId) {
      const match = dataset.byId.get(matchId);
      return match === undefined ? undefined : view(match, latest.get(matchId));
    },
    latest: (matchId) => latest.get(matchId),
    viewWith(matchId, event) {
      const match = dataset.byId.get(matchId);
      return match === undefined ? undefined : view(match, event);
    },
    list({ season, status }) {
      const views: MatchView[] = [];
      for (const match of dataset.matches) {
        if (match.season !== season) continue;
        const v = view(match, latest.get(match.id));
        if (status === undefined || v.status === status) views.push(v);
      }
      return views;
    },
    recent() {
      return [...recent];
    },
    results() {
      if (latest.size === 0) return dataset;
      const matches = dataset.matches.map((match) => {
        const data = latest.get(match.id)?.data as MatchEventData | undefined;
        if (data?.kind !== "fulltime" || match.fullTime !== undefined) return match;
        return { ...match, status: "finished" as const, fullTime: { ...data.score } };
      });
      return { matches, teams: dataset.teams, byId: new Map(matches.map((m) => [m.id, m])) };
    },
  };
}
