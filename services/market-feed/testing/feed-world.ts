import { createLivePublisher } from "../../../shared/bus/live-stream/live-publisher.js";
import type { LiveChannel, LiveEvent, LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { createMemoryCache } from "../../../shared/cache/memory-cache.js";
import { type Dataset, loadDataset } from "../../../shared/epl/dataset.js";
import { fitModel, type Model } from "../../../shared/epl/model.js";
import type { Exchange } from "../../exchange/client.js";
import { createExchange } from "../../exchange/exchange.js";
import { exchangeEventSink } from "../../exchange/live-events.js";
import { createPgliteStore } from "../../exchange/store/pglite-store.js";
import type { Store } from "../../exchange/store/store.js";
import { exchangeTestConfig } from "../../exchange/testing/fixtures.js";
import type { MatchEventData } from "../match-player.js";

/** A fast clock for tests: a 90-minute match in 0.9 s (10 ms a minute). */
export const fastFeedConfig = {
  feedMatchDurationMs: 900,
  feedRoundGapMs: 100,
  feedGoalSuspendMs: 40,
};

/** An in-process platform for feed tests: PGlite exchange publishing to a memory LIVE stream. */
export interface FeedWorld {
  dataset: Dataset;
  model: Model;
  live: LiveStream;
  store: Store;
  exchange: Exchange;
  /** Every event of `channel` from now on, as it arrives. */
  record(channel: LiveChannel): LiveEvent[];
  close(): Promise<void>;
}

export async function createFeedWorld(matchIds: readonly string[]): Promise<FeedWorld> {
  const dataset = loadDataset();
  const model = fitModel(dataset);
  const live = createMemoryLiveStream();
  const store = createPgliteStore("memory");
  await store.migrate();
  const exchange = createExchange({
    store,
    config: exchangeTestConfig,
    dataset,
    publish: exchangeEventSink({
      publisher: createLivePublisher(live),
      cache: createMemoryCache(),
      onError: (err) => {
        throw err;
      },
    }),
  });
  await exchange.openMarkets({ matchIds: [...matchIds] });
  const subscriptions: { close(): void }[] = [];
  return {
    dataset,
    model,
    live,
    store,
    exchange,
    record(channel) {
      const events: LiveEvent[] = [];
      subscriptions.push(live.subscribe(channel, (e) => events.push(e)));
      return events;
    },
    async close() {
      for (const s of subscriptions) s.close();
      await live.close();
      await store.close();
    },
  };
}

export function matchData(events: readonly LiveEvent[], matchId?: string): MatchEventData[] {
  return events
    .map((e) => e.data as MatchEventData)
    .filter((d) => matchId === undefined || d.matchId === matchId);
}
