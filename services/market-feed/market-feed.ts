import { createLivePublisher, type LivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import type { LiveEvent, LiveStream } from "../../shared/bus/live-stream/live-stream.js";
import type { Config } from "../../shared/config.js";
import { type Dataset, type Match, seasons } from "../../shared/epl/dataset.js";
import { type MarketKind, marketId, marketKinds } from "../../shared/epl/markets.js";
import type { Model } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import type { LeaderLease } from "./leader-lease.js";
import { followLease, type Leadership } from "./leadership.js";
import { createMatchMarkets, type InPlayExchange } from "./match-markets.js";
import { type MatchEventData, type MatchStart, playMatch } from "./match-player.js";
import { replayScript, simulatedScript } from "./match-script.js";
import { matchTimeline } from "./match-timeline.js";
import { sleep } from "./sleep.js";

export interface MarketFeedOptions {
  config: Pick<Config, "feedMatchDurationMs" | "feedRoundGapMs" | "feedGoalSuspendMs">;
  /** Read on taking over: each match's last event says where it stands. */
  live: LiveStream;
  /** Publishes the match events (default: straight to `live`; give one with the users' alerts). */
  publisher?: LivePublisher;
  exchange: InPlayExchange;
  dataset: Dataset;
  model: Pick<Model, "rates">;
  /** Only the holder of this lease runs the clock. */
  lease: LeaderLease;
  /** Seed of every match's script; feeds that may take over from one another must share it. */
  seed?: string;
  /** The fixtures to play (default: every fixture of the latest season not yet finished). */
  matchIds?: readonly string[];
  onError?: (err: unknown, context: { matchId?: string; action: string }) => void;
  onLeading?: (leading: boolean) => void;
}

export interface MarketFeed {
  /** Campaigns for the lease; the clock runs while this feed holds it. */
  start(): void;
  /** Stops the clock between two events, waits for calls in flight, then releases the lease. */
  stop(): Promise<void>;
  readonly leading: boolean;
  /**
   * Replays a finished real match from kick-off now, alongside the schedule, with goals placed to
   * give its real half-time and full-time scores; resolves at full time. Only the leading feed
   * replays (`unavailable` otherwise), and a replay ends if the lease is lost.
   */
  replay(matchId: string): Promise<void>;
}

export const defaultFeedSeed = "epl-feed-1";
const kinds = Object.keys(marketKinds) as MarketKind[];
const retryScheduleMs = 1000;

/**
 * The match clock. It plays the schedule's rounds one after another (all fixtures of a round kick
 * off together, `feedRoundGapMs` after the previous round's last full time), each match simulated
 * from the in-play model by a script fixed by the seed and the match id, and drives the markets of
 * each match through the exchange (match-player.ts). Only the lease holder plays; a feed that wins
 * the lease rebuilds where every match stands from the LIVE stream (the last `match.<id>` event) and
 * the settled markets, and continues from there.
 */
export function createMarketFeed(options: MarketFeedOptions): MarketFeed {
  const { config, live, exchange, dataset, model } = options;
  const seed = options.seed ?? defaultFeedSeed;
  const publisher = options.publisher ?? createLivePublisher(live);
  const onError = options.onError ?? (() => {});
  const timeline = matchTimeline(config.feedMatchDurationMs);
  const rounds = scheduleRounds(dataset, options.matchIds);
  const replays = new Set<Promise<void>>();
  let leadSignal: AbortSignal | undefined;
  let leadership: Leadership | undefined;

  function play(fixture: Match, from: MatchStart, signal: AbortSignal): Promise<boolean> {
    const rates = model.rates(fixture.home, fixture.away);
    const report = (err: unknown, action: string) => onError(err, { matchId: fixture.id, action });
    return playMatch({
      fixture,
      script: simulatedScript(fixture.id, rates, seed),
      timeline,
      publisher,
      live,
      markets: (state) =>
        createMatchMarkets({
          exchange,
          matchId: fixture.id,
          rates,
          suspendMs: config.feedGoalSuspendMs,
          state,
          onError: report,
        }),
      from,
      signal,
      onError: report,
    });
  }

  async function playSchedule(signal: AbortSignal): Promise<void> {
    const settled = new Set((await exchange.listMarkets({ status: "settled" })).map((m) => m.marketId));
    const allSettled = (fixture: Match) => kinds.every((kind) => settled.has(marketId(fixture.id, kind)));
    let previousEndMs: number | undefined;
    for (const round of rounds) {
      const lasts = await Promise.all(round.map((fixture) => live.last(`match.${fixture.id}`)));
      if (signal.aborted) return;
      const started = lasts.some((last) => last !== undefined);
      const pending = round
        .map((fixture, i) => ({ fixture, last: lasts[i] }))
        .filter(({ fixture }) => !allSettled(fixture));
      if (pending.length > 0) {
        const kickoffAtMs =
          started || previousEndMs === undefined
            ? Date.now()
            : Math.max(Date.now(), previousEndMs + config.feedRoundGapMs);
        await Promise.all(
          pending.map(({ fixture, last }) => play(fixture, startOf(last, kickoffAtMs), signal)),
        );
        if (signal.aborted) return;
        previousEndMs = Date.now();
      } else {
        previousEndMs = latestFullTime(lasts) ?? previousEndMs;
      }
    }
  }

  async function lead(signal: AbortSignal): Promise<void> {
    leadSignal = signal;
    for (;;) {
      try {
        await playSchedule(signal);
        break;
      } catch (err) {
        onError(err, { action: "schedule" });
        if (!(await sleep(retryScheduleMs, signal))) break;
      }
    }
    // Replays run on this lease too: leadership ends only after they stopped.
    await new Promise((resolve) => {
      if (signal.aborted) resolve(undefined);
      else signal.addEventListener("abort", resolve, { once: true });
    });
    await Promise.allSettled(replays);
  }

  return {
    start() {
      if (leadership !== undefined) return;
      leadership = followLease({
        lease: options.lease,
        lead,
        ...(options.onLeading === undefined ? {} : { onChange: options.onLeading }),
        onError: (err) => onError(err, { action: "lease" }),
      });
    },

    async stop() {
      await leadership?.stop();
    },

    get leading() {
      return leadership?.leading ?? false;
    },

    async replay(matchId) {
      const match = dataset.byId.get(matchId);
      if (match === undefined) throw new AppError("not_found", `no match ${matchId}`);
      if (match.status !== "finished") throw new AppError("bad_request", `${matchId} has not been played`);
      const signal = leadSignal;
      if (!leadership?.leading || signal === undefined || signal.aborted)
        throw new AppError("unavailable", "this market feed is not the active one");
      const replay = playMatch({
        fixture: match,
        script: replayScript(match, seed),
        timeline,
        publisher,
        live,
        from: { kickoffAtMs: Date.now() },
        signal,
        onError: (err, action) => onError(err, { matchId, action }),
      }).then(() => {});
      replays.add(replay);
      try {
        await replay;
      } finally {
        replays.delete(replay);
      }
    },
  };
}

/**
 * The fixtures to play grouped by the data's round, rounds in order: by default every fixture of
 * the latest season not yet finished (scheduled or postponed), else the `matchIds` given.
 */
export function scheduleRounds(dataset: Dataset, matchIds?: readonly string[]): Match[][] {
  const latest = seasons.at(-1);
  const wanted = matchIds && new Set(matchIds);
  const fixtures = dataset.matches.filter((m) =>
    wanted ? wanted.has(m.id) : m.season === latest && m.status !== "finished",
  );
  const byRound = new Map<number, Match[]>();
  for (const m of fixtures) byRound.set(m.round, [...(byRound.get(m.round) ?? []), m]);
  return [...byRound.entries()].sort(([a], [b]) => a - b).map(([, matches]) => matches);
}

function startOf(last: LiveEvent | undefined, kickoffAtMs: number): MatchStart {
  if (last === undefined) return { kickoffAtMs };
  return { last: last.data as MatchEventData, publishedAtMs: Date.parse(last.time) };
}

function latestFullTime(lasts: readonly (LiveEvent | undefined)[]): number | undefined {
  const times = lasts
    .filter((e) => (e?.data as MatchEventData | undefined)?.kind === "fulltime")
    .map((e) => Date.parse(e!.time));
  return times.length > 0 ? Math.max(...times) : undefined;
}
