import type { LiveEvent } from "../../../shared/bus/live-stream/live-stream.js";
import { AppError } from "../../../shared/errors.js";
import type { ChannelRoute } from "./channels.js";
import type { LiveHub } from "./live-hub.js";
import type { MarketEventData } from "./price-board.js";

/**
 * Where the gateway reads a market that has no live event yet (the exchange's market view).
 * Contract: resolves to the market's current status and prices; rejects with `not_found` for
 * a market the exchange does not have.
 */
export interface MarketSource {
  getMarket(marketId: string): Promise<MarketEventData>;
}

/** Where the gateway reads a user's `user` snapshot (the exchange's wallet and positions). */
export interface WalletSource {
  wallet(userId: string): Promise<{ balance: number; currency: "credits" }>;
  positions(userId: string): Promise<unknown[]>;
}

export interface SnapshotSources {
  markets?: MarketSource;
  wallets?: WalletSource;
}

export interface Snapshot {
  seq: number;
  epoch: string;
  data: unknown;
}

/**
 * Reads a channel's current state (docs/protocol.md "snapshot") and answers a function that yields
 * it: boards the hub keeps in memory are read when that function is called, in the same turn as
 * the subscription goes live, so their seq matches what the socket has not yet been sent.
 *
 * A match or market the hub's boards hold is answered from them, without reading the stream
 * (thousands of sockets subscribe to the same few channels at once); one they do not hold (not
 * seeded, evicted, of an older epoch) is read from the stream.
 *
 * Every event with seq ≤ the snapshot's seq is reflected in it. Where the state comes from
 * another service (wallet, a market never traded), the position is read first, so a later
 * event may repeat what the state already shows; such events carry full state (a balance, a
 * market's prices), so applying one twice changes nothing.
 */
export async function readSnapshot(
  hub: LiveHub,
  sources: SnapshotSources,
  route: ChannelRoute,
): Promise<() => Snapshot> {
  const { live } = hub;
  switch (route.kind) {
    case "scores":
      return () => {
        const at = hub.position("match");
        const events = hub.matches.recent().map((e) => ({ seq: e.seq, time: e.time, data: e.data }));
        return { ...at, data: { events } };
      };
    case "prices":
      return () => ({ ...hub.position("market"), data: { markets: hub.prices.markets() } });
    case "match": {
      const matchId = route.name.slice("match.".length);
      const known = boardEvent(hub, "match", hub.matches.latest(matchId), route);
      if (known !== undefined) {
        const snapshot = { seq: known.seq, epoch: known.epoch, data: hub.matches.viewWith(matchId, known) };
        return () => snapshot;
      }
      const [event, at] = await Promise.all([live.last(`match.${matchId}`), live.position(route.source)]);
      const data = hub.matches.viewWith(matchId, event);
      const snapshot =
        event === undefined
          ? { seq: 0, epoch: at.epoch, data }
          : { seq: event.seq, epoch: event.epoch, data };
      return () => snapshot;
    }
    case "market": {
      const id = route.name.slice("market.".length);
      const event =
        boardEvent(hub, "market", hub.prices.latest(id), route) ?? (await live.last(`market.${id}`));
      if (event !== undefined) return () => ({ seq: event.seq, epoch: event.epoch, data: event.data });
      if (sources.markets === undefined) {
        throw new AppError("unavailable", `${route.name}: market data is not available on this gateway`);
      }
      const at = await live.position(route.source);
      const market = await sources.markets.getMarket(id);
      const data: MarketEventData = { marketId: id, status: market.status, prices: market.prices };
      if (market.winner !== undefined) data.winner = market.winner;
      return () => ({ ...at, data });
    }
    case "user": {
      const { wallets } = sources;
      if (wallets === undefined) {
        throw new AppError("unavailable", "user: wallets are not available on this gateway");
      }
      const userId = route.source.slice("user.".length);
      const at = await live.position(route.source);
      const [wallet, positions] = await Promise.all([wallets.wallet(userId), wallets.positions(userId)]);
      const data = { balance: wallet.balance, currency: wallet.currency, positions };
      return () => ({ ...at, data });
    }
  }
}

/**
 * The channel's latest event as the hub's board holds it, when the board can answer for the
 * channel: an event of the channel's own topic, of the stream's current epoch. The hub applies
 * each event to its boards before fanning it out, and the channel is attached before this is
 * read, so every later event reaches the subscription: no read of the stream is needed.
 */
function boardEvent(
  hub: LiveHub,
  kind: "match" | "market",
  event: LiveEvent | undefined,
  route: ChannelRoute,
): LiveEvent | undefined {
  if (event === undefined || event.topic !== route.source) return undefined;
  return event.epoch === hub.position(kind).epoch ? event : undefined;
}
