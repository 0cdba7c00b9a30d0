import { createMemoryRpc } from "../../../shared/bus/rpc/memory-rpc.js";
import type { Rpc } from "../../../shared/bus/rpc/rpc.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { createExchangeClient, type Exchange } from "../../exchange/client.js";
import { createExchange } from "../../exchange/exchange.js";
import { serveExchange } from "../../exchange/rpc.js";
import { createPgliteStore } from "../../exchange/store/pglite-store.js";
import type { Store } from "../../exchange/store/store.js";
import { exchangeTestConfig } from "../../exchange/testing/fixtures.js";

export interface ExchangeFixture {
  store: Store;
  /** The exchange itself, for changes behind the gateway's back and ledger checks. */
  exchange: Exchange;
  /** The exchange over `rpc`, as a gateway sees it. */
  client: Exchange;
  /** The 1X2 market of each opened fixture. */
  marketIds: string[];
  close(): Promise<void>;
}

/**
 * A real exchange for gateway tests, served over `rpc` (in-process unless given) on `store`
 * (PGlite in memory unless given, migrated here), with the markets of `fixtures` unfinished
 * fixtures open.
 */
export async function startExchange(
  options: { store?: Store; rpc?: { client: Rpc; server: Rpc }; fixtures?: number } = {},
): Promise<ExchangeFixture> {
  const store = options.store ?? createPgliteStore("memory");
  await store.migrate();
  const memory = options.rpc === undefined ? createMemoryRpc() : undefined;
  const rpc = options.rpc ?? { client: memory!, server: memory! };
  const exchange = createExchange({ store, config: exchangeTestConfig });
  const matchIds = loadDataset()
    .matches.filter((m) => m.status === "scheduled")
    .slice(0, options.fixtures ?? 2)
    .map((m) => m.id);
  await exchange.openMarkets({ matchIds });
  const stop = serveExchange(exchange, rpc.server);
  return {
    store,
    exchange,
    client: createExchangeClient(rpc.client),
    marketIds: matchIds.map((id) => `${id}.1x2`),
    async close() {
      await stop();
      await memory?.close();
      await store.close();
    },
  };
}
