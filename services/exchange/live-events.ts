import type { LivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import type { LiveStream, LiveTopic } from "../../shared/bus/live-stream/live-stream.js";
import type { Cache } from "../../shared/cache/cache.js";
import { coalesceDeletes } from "../../shared/cache/coalesced-deletes.js";
import type { ExchangeEvent } from "./exchange-interface.js";
import { invalidateReadCache } from "./read-cache.js";

/**
 * Where an exchange event goes on LIVE, and its `data` as docs/protocol.md's channels carry it:
 * `market` → `market.<marketId>` `{marketId, status, prices, winner?}`; `fill`, `balance` and
 * `settlement` → the user's `user.<userId>` as `{kind, …}` (the user id is the topic, not data);
 * `alert` → `user.<userId>` with the alert delivery's data.
 */
export function exchangeLiveEvent(event: ExchangeEvent): { topic: LiveTopic; data: unknown } {
  switch (event.kind) {
    case "market": {
      const { kind: _, byTrade: __, ...data } = event;
      return { topic: `market.${event.marketId}`, data };
    }
    case "alert":
      return { topic: `user.${event.userId}`, data: event.alert };
    case "fill":
      return { topic: `user.${event.userId}`, data: { kind: "fill", trade: event.trade } };
    case "balance":
      return { topic: `user.${event.userId}`, data: { kind: "balance", balance: event.balance } };
    case "settlement": {
      const { userId: _, ...data } = event;
      return { topic: `user.${event.userId}`, data };
    }
  }
}

/**
 * The exchange's `publish` in a deployment: every event goes on LIVE through `publisher`, in the
 * order the exchange emits them (each publish is sent before the next begins; the log keeps send
 * order), and the gateways' read-cache entries it made stale are dropped. A step that fails is
 * reported to `onError`, never thrown: the money has already moved, and the event's state can be
 * read back from the exchange. Invalidations of events emitted while one is on its way to the
 * cache go together in the next (coalesced-deletes.ts): a trade's three events, and every other
 * trade finishing meanwhile, cost one cache call. Given `live` (the stream `publisher` writes
 * to), a trade's `market` event (its alerts fired with the trade) goes straight to it instead of
 * through the publisher's alert matching, which would find nothing more.
 */
export function exchangeEventSink(deps: {
  publisher: LivePublisher;
  live?: LiveStream;
  cache: Cache;
  onError: (err: unknown, event: ExchangeEvent, step: "live publish" | "cache invalidation") => void;
}): (event: ExchangeEvent) => void {
  const { publisher, live, onError } = deps;
  const cache = coalesceDeletes(deps.cache);
  return (event) => {
    const { topic, data } = exchangeLiveEvent(event);
    const matched = event.kind === "market" && event.byTrade === true && live !== undefined;
    (matched ? live.publish(topic, data) : publisher.publish(topic, data)).catch((err: unknown) =>
      onError(err, event, "live publish"),
    );
    invalidateReadCache(cache, event).catch((err: unknown) => onError(err, event, "cache invalidation"));
  };
}
