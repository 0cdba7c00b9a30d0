import { loadConfig } from "../../../shared/config.js";
import { type Dataset, loadDataset, type Match } from "../../../shared/epl/dataset.js";
import { createPgliteStore } from "../../../shared/store/pglite-store.js";
import type { Store } from "../../../shared/store/store.js";
import { createExchange, type Exchange } from "../../exchange/exchange.js";
import type { ToolServices } from "../agent/tool.js";
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
  options: { asOf?: string; openMatches?: string[]; stakeCapCredits?: number } = {},
): Promise<TestPlatform> {
  const dataset = options.asOf === undefined ? loadDataset() : datasetAsOf(loadDataset(), options.asOf);
  const config = loadConfig({}, { agentStakeCapCredits: options.stakeCapCredits ?? 100 });
  const store = createPgliteStore("memory");
  await store.migrate();
  const exchange = createExchange({ store, config, dataset });
  if (options.openMatches) await exchange.openMarkets({ matchIds: options.openMatches });
  const services = createToolServices({ epl: dataset, exchange, records: store, config });
  return { dataset, store, exchange, services, close: () => store.close() };
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
