import { createOfflineProvider } from "../../services/agent-worker/agent/offline-provider.js";
import { createAgentPool } from "../../services/agent-worker/agents/pool.js";
import { createToolServices } from "../../services/agent-worker/tool-services.js";
import { createExchange } from "../../services/exchange/exchange.js";
import { createPgliteStore } from "../../services/exchange/store/pglite-store.js";
import { createMemoryLiveStream } from "../../shared/bus/live-stream/memory-live-stream.js";
import { loadConfig } from "../../shared/config.js";
import type { Dataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import type { AgentEvent } from "../../shared/protocol/agent-frames.js";

/** The trading agent and its tools in one process, without a gateway, a bus or HTTP. */
export interface InProcessAgent {
  /** One pro user's run to its end, frame by frame, as the agent yields them. */
  run(input: string, userId: string, requestId: string): AsyncIterable<AgentEvent>;
  close(): Promise<void>;
}

/**
 * `eplTradingAgent` on the offline model at zero token delay, over the worker's own tool services
 * built as embedded mode builds them (the exchange in PGlite, the LIVE read models on a memory
 * stream): the agent work of the headline request, for the benchmarks that measure that work
 * alone (`agent-run-cost.ts`) or give it to the naive design (`naive-trading-agent.ts`).
 */
export async function createInProcessAgent(epl: Dataset): Promise<InProcessAgent> {
  const config = loadConfig({}, { offlineTokenDelayMs: 0 });
  const store = createPgliteStore("memory");
  await store.migrate();
  const exchange = createExchange({ store, config, dataset: epl });
  await exchange.openMarkets({});
  const live = createMemoryLiveStream({
    maxAgeMs: config.liveMaxAgeMs,
    maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
  });
  const services = createToolServices({ epl, model: fitModel(epl), exchange, records: store, live, config });
  const agent = createAgentPool(config).get("eplTradingAgent")!;
  const provider = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
  return {
    run: (input, userId, requestId) =>
      agent.run(
        { input, userId, tier: "pro" },
        {
          provider,
          ctx: { userId, tier: "pro", requestId, services },
          maxSteps: config.modelMaxSteps,
          signal: new AbortController().signal,
        },
      ),
    close: () => store.close(),
  };
}
