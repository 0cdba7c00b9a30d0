import type { LiveEvent, LiveStream, LiveTopic } from "../../../shared/bus/live-stream/live-stream.js";
import type { Dataset, Match, Score } from "../../../shared/epl/dataset.js";

export interface MatchEventView {
  kind: string;
  minute: number;
  score: Score;
  team?: string;
  player?: string;
}

/** A match as the agents see it: live from the match feed when it runs, else from the results. */
export interface MatchState {
  matchId: string;
  home: string;
  away: string;
  kickoff: string;
  status: "scheduled" | "postponed" | "live" | "halftime" | "finished";
  minute?: number;
  score?: Score;
  halfTime?: Score;
  /** Goals, cards, half and full time, oldest first (the latest `maxEvents`). */
  events: MatchEventView[];
  /** `live`: read from the match channel; `results`: the shipped results (no feed has run it). */
  source: "live" | "results";
}

/**
 * A read view of live match state for agents' tools. Answers from the LIVE port's match topic
 * when it has events for the match, else from the results data, so it answers with no feed
 * running: scheduled fixtures as scheduled, played ones with their real half- and full-time
 * scores. Undefined for an unknown match id.
 */
export interface LiveScores {
  match(matchId: string): Promise<MatchState | undefined>;
}

/** The latest news events a match state carries. */
export const maxEvents = 30;
/** Per-minute clock ticks carry no news; an agent reads the minute from the latest event. */
const newsKinds = new Set(["kickoff", "goal", "card", "halftime", "second_half", "fulltime"]);

export function createLiveScores(options: {
  dataset: Dataset;
  stream?: Pick<LiveStream, "last" | "position" | "history">;
}): LiveScores {
  const { dataset, stream } = options;
  return {
    async match(matchId) {
      const match = dataset.byId.get(matchId);
      if (!match) return undefined;
      const topic: LiveTopic = `match.${matchId}`;
      const latest = stream && (await stream.last(topic));
      if (stream && latest && readEvent(latest.data)) {
        const position = await stream.position(topic);
        const { events } = await stream.history(topic, 0, position.epoch);
        return liveState(match, latest, events.map((e) => readEvent(e.data)).filter(isNews));
      }
      return resultsState(match);
    },
  };
}

/** A match as the feed last told it: `latest` is its newest event, `news` its news oldest first. */
export function liveState(match: Match, latest: LiveEvent, news: readonly MatchEventView[]): MatchState {
  const now = readEvent(latest.data)!;
  return {
    matchId: match.id,
    home: match.home,
    away: match.away,
    kickoff: match.kickoff,
    status: now.kind === "fulltime" ? "finished" : now.kind === "halftime" ? "halftime" : "live",
    minute: now.minute,
    score: now.score,
    events: news.slice(-maxEvents),
    source: "live",
  };
}

/**
 * A match no feed has played: scheduled, or its real half- and full-time scores. Written out
 * property by property: every tool that looks up fixtures calls this for each candidate, and
 * built by spreading a shared base it cost about 100 times as much (4-5 µs a call on Node 20).
 */
export function resultsState(match: Match): MatchState {
  if (match.status !== "finished") {
    return {
      matchId: match.id,
      home: match.home,
      away: match.away,
      kickoff: match.kickoff,
      status: match.status,
      events: [],
      source: "results",
    };
  }
  return {
    matchId: match.id,
    home: match.home,
    away: match.away,
    kickoff: match.kickoff,
    status: "finished",
    minute: 90,
    score: match.fullTime!,
    halfTime: match.halfTime!,
    events: [
      { kind: "halftime", minute: 45, score: match.halfTime! },
      { kind: "fulltime", minute: 90, score: match.fullTime! },
    ],
    source: "results",
  };
}

/** A match event the agents see among a match's events (clock ticks are not). */
export function isNews(event: MatchEventView | undefined): event is MatchEventView {
  return event !== undefined && newsKinds.has(event.kind);
}

export function readEvent(data: unknown): MatchEventView | undefined {
  const d = data as Partial<MatchEventView> | undefined;
  if (typeof d?.kind !== "string" || typeof d.minute !== "number" || typeof d.score?.home !== "number") {
    return undefined;
  }
  const event: MatchEventView = {
    kind: d.kind,
    minute: d.minute,
    score: { home: d.score.home, away: d.score.away },
  };
  if (typeof d.team === "string") event.team = d.team;
  if (typeof d.player === "string") event.player = d.player;
  return event;
}
