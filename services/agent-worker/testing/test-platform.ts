import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import { loadConfig } from "../../../shared/config.js";
import { type Dataset, loadDataset, type Match } from "../../../shared/epl/dataset.js";
import type { Exchange } from "../../exchange/client.js";
import { createExchange } from "../../exchange/exchange.js";
import { createPgliteStore } from "../../exchange/store/pglite-store.js";
import type { Store } from "../../exchange/store/store.js";
import type { ToolServices } from "../agent/tool.js";
import { createFollowedLiveScores } from "../platform/followed-live-scores.js";
import { createToolServices } from "../tool-services.js";

export interface TestPlatform {
  dataset: Dataset;
  store: Store;
  exchange: Exchange;
  services: ToolServices;
  close(): Promise<void>;
}

/**
 * The real platform in one process for agent tests: an in-memory PGlite store, the in-process
 * exchange with markets opened on `openMatches`, and the tools' services over them. `asOf` turns
 * the data into what it was before that instant (later matches scheduled, without scores), so a
 * test can trade fixtures the shipped data has already played.
 */
export async function createTestPlatform(
  options: {
    asOf?: string;
    openMatches?: string[];
    stakeCapCredits?: number;
    /** Match events to read live scores from, as a match feed publishes them (markets stay the exchange's). */
    liveScores?: Pick<LiveStream, "subscribe" | "last" | "history">;
  } = {},
): Promise<TestPlatform> {
  const dataset = options.asOf === undefined ? loadDataset() : datasetAsOf(loadDataset(), options.asOf);
  const config = loadConfig({}, { agentStakeCapCredits: options.stakeCapCredits ?? 100 });
  const store = createPgliteStore("memory");
  await store.migrate();
  const exchange = createExchange({ store, config, dataset });
  if (options.openMatches) await exchange.openMarkets({ matchIds: options.openMatches });
  const services = createToolServices({ epl: dataset, exchange, records: store, config });
  const live = options.liveScores
    ? createFollowedLiveScores({ dataset, stream: options.liveScores, maxAgeMs: config.liveMaxAgeMs })
    : undefined;
  if (live) services.live = live;
  return {
    dataset,
    store,
    exchange,
    services,
    close: async () => {
      live?.close();
      await store.close();
    },
  };
}

/** The dataset as it stood before `instant`: matches from then on are scheduled, with no score. */
export function datasetAsOf(data: Dataset, instant: string): Dataset {
  const matches = data.matches.map((m): Match => {
    if (m.kickoff < instant || m.status !== "finished") return m;
    const { halfTime: _h, fullTime: _f, ...rest } = m;
    return { ...rest, status: "scheduled" };
  });
  return { matches, teams: data.teams, byId: new Map(matches.map((m) => [m.id, m])) };
}
