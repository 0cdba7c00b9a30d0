import type { AgentRecordStore, AlertRecord } from "../store/agent-records.js";

/** An alert in the protocol's units: a price level is a probability with up to 4 decimals. */
export type AlertView =
  | {
      alertId: string;
      kind: "price";
      marketId: string;
      outcome: string;
      direction: "above" | "below";
      price: number;
      createdAt: string;
    }
  | { alertId: string; kind: "score"; matchId: string; createdAt: string };

export type NewAlert =
  | {
      kind: "price";
      userId: string;
      marketId: string;
      outcome: string;
      direction: "above" | "below";
      price: number;
    }
  | { kind: "score"; userId: string; matchId: string };

/** What to publish on `user.<userId>`: the `user` channel's `alert` event. */
export interface AlertDelivery {
  userId: string;
  data: {
    kind: "alert";
    alert: AlertView;
    /** What fired it: the market's prices, or the match event (goal, half time, full time). */
    trigger:
      | { marketId: string; outcome: string; price: number }
      | { matchId: string; event: string; minute?: number; score?: unknown };
  };
}

/** A live event as the LIVE port carries it: a topic and its data. */
export interface LiveEventLike {
  topic: string;
  data: unknown;
}

/**
 * Users' price and score alerts. `matching` is the delivery hook for whoever publishes live events
 * (the market feed): given one live event, it returns the `user`-channel events to publish, and
 * each price alert is returned exactly once across all callers (the store marks it fired in the
 * same statement). Score alerts fire on every goal, half time and full time of their match and
 * end at full time.
 */
export interface AlertBook {
  create(alert: NewAlert): Promise<AlertView>;
  list(userId: string): Promise<AlertView[]>;
  remove(userId: string, alertId: string): Promise<boolean>;
  matching(event: LiveEventLike): Promise<AlertDelivery[]>;
}

/** Unfired alerts one user may hold: a bound on what one price move must check. */
export const maxAlertsPerUser = 50;

const scoreEvents = new Set(["goal", "halftime", "fulltime"]);

export function createAlertBook(
  store: Pick<
    AgentRecordStore,
    "createAlert" | "alerts" | "deleteAlert" | "firePriceAlerts" | "fireScoreAlerts"
  >,
): AlertBook {
  return {
    async create(alert) {
      const record = await store.createAlert(
        alert.kind === "price"
          ? {
              kind: "price",
              userId: alert.userId,
              marketId: alert.marketId,
              outcome: alert.outcome,
              direction: alert.direction,
              levelBp: Math.round(alert.price * 10_000),
            }
          : alert,
        maxAlertsPerUser,
      );
      return alertView(record);
    },
    async list(userId) {
      return (await store.alerts(userId)).map(alertView);
    },
    remove: (userId, alertId) => store.deleteAlert(userId, alertId),
    async matching(event) {
      const [kind, ...rest] = event.topic.split(".");
      const id = rest.join(".");
      const data = (event.data ?? {}) as Record<string, unknown>;
      if (kind === "market" && isPrices(data.prices)) {
        const prices = data.prices;
        return priceAlertDeliveries(id, prices, await store.firePriceAlerts(id, prices));
      }
      if (kind === "match" && typeof data.kind === "string" && scoreEvents.has(data.kind)) {
        const fired = await store.fireScoreAlerts(id, data.kind === "fulltime");
        return fired.map((a) => ({
          userId: a.userId,
          data: {
            kind: "alert",
            alert: alertView(a),
            trigger: {
              matchId: id,
              event: data.kind as string,
              ...(typeof data.minute === "number" ? { minute: data.minute } : {}),
              ...(data.score === undefined ? {} : { score: data.score }),
            },
          },
        }));
      }
      return [];
    },
  };
}

/**
 * The `alert` events of price alerts fired by `prices` (a `market` event's, outcome → probability)
 * of `marketId`: for `matching`, and for a trade that fired its market's alerts itself.
 */
export function priceAlertDeliveries(
  marketId: string,
  prices: Record<string, number>,
  fired: readonly AlertRecord[],
): AlertDelivery[] {
  return fired.map((a) => {
    const outcome = a.kind === "price" ? a.outcome : "";
    return {
      userId: a.userId,
      data: { kind: "alert", alert: alertView(a), trigger: { marketId, outcome, price: prices[outcome]! } },
    };
  });
}

function isPrices(value: unknown): value is Record<string, number> {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.values(value).every((v) => typeof v === "number" && Number.isFinite(v))
  );
}

function alertView(a: AlertRecord): AlertView {
  if (a.kind === "score")
    return { alertId: a.alertId, kind: "score", matchId: a.matchId, createdAt: a.createdAt };
  return {
    alertId: a.alertId,
    kind: "price",
    marketId: a.marketId,
    outcome: a.outcome,
    direction: a.direction,
    price: a.levelBp / 10_000,
    createdAt: a.createdAt,
  };
}
