import type { LiveEvent, LiveStream } from "../../../shared/bus/live-stream/live-stream.js";
import type { MarketStatus } from "../../../shared/protocol/common.js";
import type { Exchange, MarketView } from "../../exchange/client.js";

/** A `market.<id>` event's data (docs/protocol.md "Channels"). */
interface MarketEventData {
  marketId: string;
  status: MarketStatus;
  prices: Record<string, number>;
  winner?: string;
}

export interface FollowedMarkets {
  /** The exchange, with `listMarkets({ matchId })` answered from the read model. */
  readonly exchange: Exchange;
  /** Stops following the stream. */
  close(): void;
}

/**
 * A read model of the exchange's markets in the worker's memory (docs/architecture.md "Agent
 * workers' read model"): one `listMarkets` snapshot, then every `market.*` event of LIVE (the
 * exchange publishes one after each change of a market's status or prices, with its whole state),
 * so an agent's look-up of a fixture's markets is a map lookup instead of an exchange request.
 * It is as fresh as the last event the exchange published (milliseconds behind the books); quotes,
 * trades, wallets and price history still go to the exchange. Only `listMarkets` by match alone
 * is answered here; every other call goes to `exchange` unchanged. A market opened after the
 * snapshot is read from the exchange once, on its first event; after the log lost its history
 * (a new epoch) the snapshot is taken again.
 */
export function followMarkets(exchange: Exchange, stream: Pick<LiveStream, "subscribe">): FollowedMarkets {
  const byMatch = new Map<string, MarketView[]>();
  const byId = new Map<string, MarketView>();
  /**
   * Events that arrived while the snapshot was on its way, in order. Events before it began are
   * dropped: the snapshot reads the books after them (the exchange publishes after it commits).
   */
  let pending: LiveEvent[] | undefined;
  let loaded = false;
  let epoch: string | undefined;
  let snapshot: Promise<void> | undefined;
  const fetching = new Map<string, Promise<void>>();

  const add = (view: MarketView) => {
    byId.set(view.marketId, view);
    // A match's markets close together: the exchange lists them by id.
    const list = [...(byMatch.get(view.matchId) ?? []), view].sort((a, b) =>
      a.marketId < b.marketId ? -1 : 1,
    );
    byMatch.set(view.matchId, list);
  };
  const apply = (event: LiveEvent) => {
    const data = event.data as MarketEventData;
    const view = byId.get(data.marketId);
    if (view === undefined) {
      if (!fetching.has(data.marketId)) fetching.set(data.marketId, readNew(data.marketId));
      return;
    }
    view.status = data.status;
    view.prices = data.prices;
    if (data.winner === undefined) delete view.winner;
    else view.winner = data.winner;
  };
  /** A market the snapshot did not hold: read whole; the events after its read apply on top. */
  async function readNew(marketId: string): Promise<void> {
    try {
      const view = await exchange.getMarket({ marketId });
      if (!byId.has(marketId)) add(view);
    } catch {
      // Not readable now (the exchange is away): its next event tries again.
    } finally {
      fetching.delete(marketId);
    }
  }

  function take(): Promise<void> {
    snapshot ??= (async () => {
      pending = [];
      const views = await exchange.listMarkets({});
      byMatch.clear();
      byId.clear();
      for (const view of views) add(view);
      const events = pending;
      pending = undefined;
      loaded = true;
      for (const event of events) apply(event);
    })().catch((err: unknown) => {
      pending = undefined;
      snapshot = undefined;
      throw err;
    });
    return snapshot;
  }

  const subscription = stream.subscribe("market.*", (event) => {
    if (epoch !== undefined && event.epoch !== epoch) {
      // The log lost its history, and maybe events: read the whole state again when next asked.
      loaded = false;
      snapshot = undefined;
    }
    epoch = event.epoch;
    if (pending !== undefined) pending.push(event);
    else if (loaded) apply(event);
  });
  const ready = subscription.ready.then((position) => {
    epoch ??= position.epoch;
  });

  const followed: Exchange = {
    ...exchange,
    async listMarkets(input) {
      if (input.matchId === undefined || input.status !== undefined) return exchange.listMarkets(input);
      await ready;
      await take();
      await Promise.all(fetching.values());
      return (byMatch.get(input.matchId) ?? []).map((view) => ({ ...view, prices: { ...view.prices } }));
    },
  };
  return { exchange: followed, close: () => subscription.close() };
}
