import type { Registry } from "prom-client";
import type { LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import type { Config } from "../../../shared/config.js";
import { currentSeason, loadDataset } from "../../../shared/epl/dataset.js";
import type { Logger } from "../../../shared/logger.js";
import type { Exchange } from "../../exchange/client.js";
import type { ChannelDeps } from "./channel-handlers.js";
import { createLiveHub, type LiveHub } from "./live-hub.js";
import { createLiveMetrics } from "./live-metrics.js";
import { createMatchBoard, type MatchBoard } from "./match-board.js";

/** Live bounds that have no config entry of their own. */
export const liveLimits = Object.freeze({
  maxChannelsPerSocket: 256,
  /** Live events one channel holds back while its history or snapshot is read. */
  maxHeldEvents: 10_000,
  drainPollMs: 20,
  /** Markets the `prices` snapshot holds (the league has three per fixture). */
  maxMarkets: 4096,
});

/** The gateway's live side: what sessions and the match routes use. */
export interface LiveService {
  /** Absent without a live stream: channels answer `unavailable`. */
  channels: ChannelDeps | undefined;
  /** Fixtures with live state (fixtures alone without a live stream). */
  matches: MatchBoard;
  /** Opens the hub's subscriptions; a failure is logged and retried by the first `subscribe`. */
  start(logger: Logger): Promise<void>;
  close(): void;
}

export function createLiveService(
  config: Pick<Config, "liveConflateAboveBytes" | "liveSlowConsumerBytes">,
  deps: { live?: LiveStream; exchange?: Exchange; registry: Registry },
): LiveService {
  const dataset = loadDataset();
  if (deps.live === undefined) {
    return { channels: undefined, matches: createMatchBoard(dataset), start: async () => {}, close() {} };
  }
  const metrics = createLiveMetrics(deps.registry);
  const hub: LiveHub = createLiveHub({
    live: deps.live,
    dataset,
    season: currentSeason,
    metrics,
    maxMarkets: liveLimits.maxMarkets,
  });
  const { exchange } = deps;
  const channels: ChannelDeps = {
    hub,
    metrics,
    limits: {
      conflateAboveBytes: config.liveConflateAboveBytes,
      slowConsumerBytes: config.liveSlowConsumerBytes,
      drainPollMs: liveLimits.drainPollMs,
      maxChannelsPerSocket: liveLimits.maxChannelsPerSocket,
      maxHeldEvents: liveLimits.maxHeldEvents,
    },
  };
  if (exchange !== undefined) {
    channels.markets = { getMarket: (marketId) => exchange.getMarket({ marketId }) };
    channels.wallets = {
      wallet: (userId) => exchange.getWallet({ userId }),
      positions: (userId) => exchange.getPositions({ userId }),
    };
  }
  return {
    channels,
    matches: hub.matches,
    async start(logger) {
      try {
        await hub.ready();
      } catch (err) {
        logger.error({ err }, "live stream unavailable at start");
      }
    },
    close: () => hub.close(),
  };
}
