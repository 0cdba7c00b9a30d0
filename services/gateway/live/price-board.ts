import type { LiveEvent } from "../../../shared/bus/live-stream/live-stream.js";

/** A `market.<id>` event's data (docs/protocol.md "Channels"). */
export interface MarketEventData {
  marketId: string;
  status: "open" | "suspended" | "closed" | "settled";
  prices: Record<string, number>;
  winner?: string;
}

/**
 * The latest event of every market, kept by the gateway's one `market.*` subscription; its
 * tradeable (open or suspended) markets are the `prices` snapshot. Closed markets stay (so an
 * older event can never revive them) until, beyond `maxMarkets`, the market updated longest ago
 * is dropped: it stays bounded.
 */
export interface PriceBoard {
  apply(event: LiveEvent): void;
  /** The tradeable markets' latest data, least recently updated first. */
  markets(): MarketEventData[];
  /** The latest event of a market, if the board holds one. */
  latest(marketId: string): LiveEvent | undefined;
}

export function createPriceBoard(maxMarkets: number): PriceBoard {
  // Map order is update order: an update deletes and re-inserts, so the first key is the stalest.
  const latest = new Map<string, LiveEvent>();
  return {
    apply(event) {
      const data = event.data as Partial<MarketEventData> | null;
      const marketId = data?.marketId;
      if (typeof marketId !== "string") return;
      const known = latest.get(marketId);
      if (known !== undefined && known.epoch === event.epoch && known.seq >= event.seq) return;
      latest.delete(marketId);
      latest.set(marketId, event);
      if (latest.size > maxMarkets) latest.delete(latest.keys().next().value as string);
    },
    markets() {
      const markets: MarketEventData[] = [];
      for (const event of latest.values()) {
        const data = event.data as MarketEventData;
        if (data.status === "open" || data.status === "suspended") markets.push(data);
      }
      return markets;
    },
    latest: (marketId) => latest.get(marketId),
  };
}
