import type { LivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import type { LiveStream } from "../../shared/bus/live-stream/live-stream.js";
import type { Match, Score } from "../../shared/epl/dataset.js";
import type { MatchMarkets } from "./match-markets.js";
import { type Happening, type MatchEventKind, rank } from "./match-script.js";
import type { MatchTimeline } from "./match-timeline.js";
import { sleep } from "./sleep.js";

/** A `match.<id>` event's data (docs/protocol.md "Channels"); `team` is the full team name. */
export interface MatchEventData {
  matchId: string;
  kind: MatchEventKind;
  minute: number;
  score: Score;
  team?: string;
}

/** Where a match is taken up: at kick-off, or just after the last event a feed published. */
export type MatchStart = { kickoffAtMs: number } | { last: MatchEventData; publishedAtMs: number };

export interface PlayMatchOptions {
  fixture: Match;
  script: readonly Happening[];
  timeline: MatchTimeline;
  publisher: LivePublisher;
  /** Read back after a failed publish, which may have been stored all the same. */
  live: Pick<LiveStream, "last">;
  /** Opens the match's in-play market control on the match's live state; none for a replay. */
  markets?: (state: () => { minute: number; score: Score }) => MatchMarkets;
  from: MatchStart;
  /** Aborted when this feed stops leading: the match stops between two events. */
  signal: AbortSignal;
  onError: (err: unknown, action: string) => void;
}

const publishRetryMs = 250;
/**
 * Longest a goal waits for its markets to be settled or suspended before it is published anyway:
 * the clock waits for the exchange, but a slow or unreachable one must not stop live scores.
 */
const goalHoldMs = 2000;

async function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Plays a match's script on the wall clock: publishes each happening as a `match.<id>` event at
 * its time and drives the markets — on a goal, those it decides settled and the rest suspended
 * before the goal is published, then reopened at new prices; repriced every 5 minutes; settled
 * after full time. Taken up after an event, it continues from the next
 * happening with that event's score: no event twice, none skipped. A match taken up late (the
 * feed before it died) pauses rather than rushes: the next event is published now. Resolves true
 * once full time is published and the markets are settled, false when aborted first.
 */
export async function playMatch(options: PlayMatchOptions): Promise<boolean> {
  const { fixture, script, timeline, publisher, from, signal, onError } = options;
  const topic = `match.${fixture.id}` as const;
  const sideOf = (team: string | undefined) =>
    team === fixture.home ? "home" : team === fixture.away ? "away" : undefined;
  const rankOf = (data: MatchEventData) => rank({ ...data, side: sideOf(data.team) });

  let score: Score = { home: 0, away: 0 };
  let minute = 0;
  let after = -1;
  if ("last" in from) {
    after = rankOf(from.last);
    score = { ...from.last.score };
    minute = from.last.minute;
  }
  const markets = options.markets?.(() => ({ minute, score }));
  const abandon = () => markets?.stop();
  signal.addEventListener("abort", abandon, { once: true });
  try {
    const next = script.find((h) => rank(h) > after);
    if (next === undefined) {
      // Full time was published, but the feed that did it may have died before settling.
      await markets?.finish(score);
      return !signal.aborted;
    }
    const anchorMs =
      "last" in from
        ? Math.max(from.publishedAtMs - timeline.offsetMs(from.last), Date.now() - timeline.offsetMs(next))
        : from.kickoffAtMs;
    if ("last" in from) markets?.resume();
    else markets?.kickoff();
    for (const h of script) {
      if (rank(h) <= after) continue;
      if (!(await sleep(anchorMs + timeline.offsetMs(h) - Date.now(), signal))) return false;
      minute = h.minute;
      if (h.kind === "goal" && h.side !== undefined) score = { ...score, [h.side]: score[h.side] + 1 };
      const data: MatchEventData = { matchId: fixture.id, kind: h.kind, minute, score };
      if (h.side !== undefined) data.team = h.side === "home" ? fixture.home : fixture.away;
      if (h.kind === "goal" && markets) await atMost(markets.goal(), goalHoldMs);
      if (!(await publish(data))) return false;
      if (h.kind === "minute" && minute % 5 === 0 && minute < 90) markets?.drift();
      else if (h.kind === "fulltime") await markets?.finish(score);
    }
    return !signal.aborted;
  } finally {
    signal.removeEventListener("abort", abandon);
  }

  /** Publishes until stored; a publish that failed but was stored anyway is not sent twice. */
  async function publish(data: MatchEventData): Promise<boolean> {
    for (;;) {
      try {
        await publisher.publish(topic, data);
        return true;
      } catch (err) {
        onError(err, `publish ${data.kind} ${data.minute}'`);
      }
      if (!(await sleep(publishRetryMs, signal))) return false;
      try {
        const stored = (await options.live.last(topic))?.data as MatchEventData | undefined;
        if (stored !== undefined && rankOf(stored) === rankOf(data)) return true;
      } catch (err) {
        onError(err, "read back");
      }
    }
  }
}
