import type {
  LiveEvent,
  LivePosition,
  LiveStream,
  LiveTopic,
} from "../../../shared/bus/live-stream/live-stream.js";
import type { Dataset } from "../../../shared/epl/dataset.js";
import {
  isNews,
  type LiveScores,
  liveState,
  type MatchEventView,
  maxEvents,
  readEvent,
  resultsState,
} from "./live-scores.js";

export interface FollowedLiveScores extends LiveScores {
  /** Stops following the stream. */
  close(): void;
}

/** A match's state in the worker's read model: its newest event and its latest news. */
interface Track {
  latest?: LiveEvent;
  news: { seq: number; time: string; view: MatchEventView }[];
  /** Set once the match's history before the subscription's start was read (once per epoch). */
  primed?: Promise<void>;
}

/**
 * `LiveScores` answered from a read model in the worker's memory, fed by one `match.*`
 * subscription (docs/architecture.md "Agent workers' read model"): a tool read is a map lookup,
 * never a read of the LIVE log, so its cost does not grow with the platform's history. A match's
 * events from before the subscription began are read from the log once, on the first question
 * about that match (and again only after the log lost its history: a new epoch). The answers are
 * those of `createLiveScores` over the same log, with events older than `maxAgeMs` (the log's
 * retention) left out as the log would have dropped them.
 */
export function createFollowedLiveScores(options: {
  dataset: Dataset;
  stream: Pick<LiveStream, "subscribe" | "last" | "history">;
  maxAgeMs: number;
  now?: () => number;
}): FollowedLiveScores {
  const { dataset, stream, maxAgeMs } = options;
  const now = options.now ?? Date.now;
  const tracks = new Map<string, Track>();
  /** Events after this position come by the subscription; those up to it are read when primed. */
  let base: LivePosition | undefined;

  const track = (matchId: string) => {
    let t = tracks.get(matchId);
    if (t === undefined) {
      t = { news: [] };
      tracks.set(matchId, t);
    }
    return t;
  };
  const apply = (t: Track, event: LiveEvent) => {
    if (t.latest !== undefined && t.latest.seq >= event.seq) return;
    const view = readEvent(event.data);
    t.latest = event;
    if (isNews(view)) {
      t.news.push({ seq: event.seq, time: event.time, view });
      if (t.news.length > maxEvents) t.news.splice(0, t.news.length - maxEvents);
    }
  };

  const subscription = stream.subscribe("match.*", (event) => {
    if (base === undefined) return;
    if (event.epoch !== base.epoch) {
      // The log lost its history: what the model holds is of another log. Start again from here.
      tracks.clear();
      base = { seq: event.seq - 1, epoch: event.epoch };
    }
    apply(track(event.topic.slice("match.".length)), event);
  });
  const ready = subscription.ready.then((position) => {
    base = position;
  });

  async function prime(matchId: string, t: Track): Promise<void> {
    const at = base!;
    const topic: LiveTopic = `match.${matchId}`;
    const [{ events }, last] = await Promise.all([stream.history(topic, 0, at.epoch), stream.last(topic)]);
    if (base !== at) return;
    const before = events.filter((e) => e.seq <= at.seq);
    const news = before.flatMap((e) => {
      const view = readEvent(e.data);
      return isNews(view) ? [{ seq: e.seq, time: e.time, view }] : [];
    });
    t.news = [...news, ...t.news].slice(-maxEvents);
    if (t.latest === undefined && last !== undefined && last.seq <= at.seq && last.epoch === at.epoch)
      t.latest = last;
  }

  return {
    async match(matchId) {
      const match = dataset.byId.get(matchId);
      if (!match) return undefined;
      await ready;
      const t = track(matchId);
      t.primed ??= prime(matchId, t).catch((err: unknown) => {
        t.primed = undefined;
        throw err;
      });
      await t.primed;
      const oldest = now() - maxAgeMs;
      const latest = t.latest;
      if (latest === undefined || Date.parse(latest.time) < oldest || !readEvent(latest.data))
        return resultsState(match);
      const news = t.news.filter((n) => Date.parse(n.time) >= oldest).map((n) => n.view);
      return liveState(match, latest, news);
    },
    close: () => subscription.close(),
  };
}
