import type { LivePublisher } from "../../shared/bus/live-publisher.js";
import type { LiveTopic } from "../../shared/bus/live-stream.js";
import type { ExchangeEvent } from "./exchange.js";

/**
 * Where an exchange event goes on LIVE, and its `data` as PROTOCOL.md's channels carry it:
 * `market` → `market.<marketId>` `{marketId, status, prices, winner?}`; `fill`, `balance` and
 * `settlement` → the user's `user.<userId>` as `{kind, …}` (the user id is the topic, not data).
 */
export function exchangeLiveEvent(event: ExchangeEvent): { topic: LiveTopic; data: unknown } {
  switch (event.kind) {
    case "market": {
      const { kind: _, ...data } = event;
      return { topic: `market.${event.marketId}`, data };
    }
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
 * An `ExchangeOptions.publish` that puts every exchange event on LIVE through `publisher`, in the
 * order the exchange emits them (each publish is sent before the next begins; the log keeps send
 * order). A publish that fails is reported to `onError`: the money has already moved, and the
 * event's state can be read back from the exchange.
 */
export function publishExchangeEvents(
  publisher: LivePublisher,
  onError: (err: unknown, event: ExchangeEvent) => void,
): (event: ExchangeEvent) => void {
  return (event) => {
    const { topic, data } = exchangeLiveEvent(event);
    publisher.publish(topic, data).catch((err: unknown) => onError(err, event));
  };
}
