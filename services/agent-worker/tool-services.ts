import type { LiveStream } from "../../shared/bus/live-stream/live-stream.js";
import type { Config } from "../../shared/config.js";
import type { Dataset } from "../../shared/epl/dataset.js";
import { fitModel, type Model } from "../../shared/epl/model.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createTradeJournal } from "../../shared/journal/trade-journal.js";
import type { AgentRecordStore } from "../../shared/store/agent-records.js";
import type { Exchange } from "../exchange/client.js";
import type { ToolServices } from "./agent/tool.js";
import { createFollowedLiveScores } from "./platform/followed-live-scores.js";
import { followMarkets } from "./platform/followed-markets.js";
import { createLiveScores } from "./platform/live-scores.js";

export interface ToolServicesDeps {
  epl: Dataset;
  /** In-process (embedded) or `createExchangeClient(rpc)` (distributed). */
  exchange: Exchange;
  /** Where the trade journal and alerts live: the process's Store. */
  records: AgentRecordStore;
  /**
   * The LIVE port, when a match feed publishes to it: followed once by the process's read model
   * of live scores (followed-live-scores.ts). Without it matches read from the results.
   */
  live?: Pick<LiveStream, "subscribe" | "last" | "history">;
  config: Pick<Config, "agentStakeCapCredits" | "liveMaxAgeMs">;
  /** A fitted model to share (embedded mode fits one for the whole process); fitted here when absent. */
  model?: Model;
}

/** Everything the agents' tools use, built once per worker process and shared by every run. */
export function createToolServices(deps: ToolServicesDeps): ToolServices {
  return {
    epl: deps.epl,
    model: deps.model ?? fitModel(deps.epl),
    // Fixtures' markets are looked up on every agent's first step: from the read model, not an RPC each.
    exchange: deps.live ? followMarkets(deps.exchange, deps.live).exchange : deps.exchange,
    live: deps.live
      ? createFollowedLiveScores({ dataset: deps.epl, stream: deps.live, maxAgeMs: deps.config.liveMaxAgeMs })
      : createLiveScores({ dataset: deps.epl }),
    journal: createTradeJournal(deps.records),
    alerts: createAlertBook(deps.records),
    limits: { agentStakeCapCredits: deps.config.agentStakeCapCredits },
  };
}
