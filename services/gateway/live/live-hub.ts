import type {
  LiveEvent,
  LivePosition,
  LiveStream,
  LiveSubscription,
  LiveTopic,
} from "../../../shared/bus/live-stream/live-stream.js";
import type { Dataset, Season } from "../../../shared/epl/dataset.js";
import { type MarketKind, marketId, marketKinds } from "../../../shared/epl/markets.js";
import { messaging } from "../../../shared/telemetry/attributes.js";
import { contextFrom, SpanKind, traced, tracingOn } from "../../../shared/telemetry/spans.js";
import { type ChannelRoute, eventText, fanoutTargets } from "./channels.js";
import type { LiveMetrics } from "./live-metrics.js";
import { createMatchBoard, type MatchBoard } from "./match-board.js";
import { conflationKey } from "./outbox.js";
import { createPriceBoard, type PriceBoard } from "./price-board.js";

/** A subscriber of one channel: a session's subscription. */
export interface FanoutListener {
  /**
   * One event, already serialised as its `event` frame for the listener's channel and encoded
   * as UTF-8: the same bytes reach every listener of the channel. `conflationKey` (the outbox's key, built once
   * per channel) is set for market events.
   */
  deliver(event: LiveEvent, frame: Buffer, conflationKey: string | undefined): void;
}

export interface LiveHubOptions {
  live: LiveStream;
  dataset: Dataset;
  /** Whose fixtures' latest match and market events are read at start. */
  season: Season;
  metrics: LiveMetrics;
  /** Markets the `prices` snapshot holds at most. */
  maxMarkets: number;
  /** Concurrent `last` reads while seeding the boards at start. */
  seedConcurrency?: number;
}

/**
 * The gateway process's one view of the LIVE stream (docs/architecture.md "Live events"): one `match.*` and one
 * `market.*` subscription for the whole process, one `user.<id>` subscription per user only
 * while some socket of theirs has the `user` channel, and a registry channel → listeners. Each
 * event is serialised once per channel it reaches, and that one string is written to every
 * listening socket. The boards it keeps serve the `scores` and `prices` snapshots and the
 * public match routes.
 */
export interface LiveHub {
  readonly live: LiveStream;
  readonly dataset: Dataset;
  readonly matches: MatchBoard;
  readonly prices: PriceBoard;
  /**
   * Resolves once the process-wide subscriptions are open and the boards seeded; a failed
   * start is retried by the next call.
   */
  ready(): Promise<void>;
  /**
   * The newest position the hub's `match.*` or `market.*` subscription has reached: every event
   * up to it is in the boards, every later one is still to be delivered. Only after `ready`.
   */
  position(kind: "match" | "market"): LivePosition;
  /**
   * Adds a listener to the route's channel. Once the returned promise resolves, every event of
   * the channel the stream stores from then on reaches it.
   */
  attach(route: ChannelRoute, listener: FanoutListener): Promise<unknown>;
  /** Removes a listener `attach` added (no object per attachment: a socket holds several). */
  detach(route: ChannelRoute, listener: FanoutListener): void;
  close(): void;
}

/** The `ready` of a channel the process-wide subscriptions already feed. */
const flowing = Promise.resolve();

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const { live, dataset, metrics } = options;
  const matches = createMatchBoard(dataset);
  const prices = createPriceBoard(options.maxMarkets);
  const registry = new Map<string, Set<FanoutListener>>();
  const userSubscriptions = new Map<string, LiveSubscription>();
  const wide: LiveSubscription[] = [];
  const reached: Record<"match" | "market", LivePosition> = {
    match: { seq: 0, epoch: "" },
    market: { seq: 0, epoch: "" },
  };
  let starting: Promise<void> | undefined;
  let closed = false;

  /**
   * One span per event however many sockets it reaches (docs/architecture.md "Tracing"), child of
   * the publish whose context the event carries; an event that carries none (its publisher does
   * not trace) starts a trace here, sampled by this gateway.
   */
  function onEvent(event: LiveEvent) {
    if (!tracingOn()) {
      fanOut(event);
      return;
    }
    traced(
      "live fan-out",
      {
        kind: SpanKind.CONSUMER,
        attributes: messaging("process", event.topic),
        parent: contextFrom(event.trace),
      },
      (span) => span?.setAttribute("live.sockets", fanOut(event)),
    );
  }

  /** Delivers `event` to every listener of every channel it belongs to; returns their number. */
  function fanOut(event: LiveEvent): number {
    let delivered = 0;
    const kind = event.topic.slice(0, event.topic.indexOf("."));
    metrics.events.inc({ kind });
    if (kind === "match") {
      matches.apply(event);
      reached.match = { seq: event.seq, epoch: event.epoch };
    } else if (kind === "market") {
      prices.apply(event);
      reached.market = { seq: event.seq, epoch: event.epoch };
    }
    let dataJson: string | undefined;
    for (const target of fanoutTargets(event.topic)) {
      const listeners = registry.get(target.key);
      if (listeners === undefined || listeners.size === 0) continue;
      dataJson ??= JSON.stringify(event.data);
      // Encoded once here; each socket then writes the same bytes (no UTF-8 pass per socket).
      const frame = Buffer.from(eventText(target.channel, event, dataJson));
      metrics.framesSerialised.inc();
      const key = kind === "market" ? conflationKey(target.channel, event.topic) : undefined;
      for (const listener of listeners) listener.deliver(event, frame, key);
      metrics.framesDelivered.inc(listeners.size);
      delivered += listeners.size;
    }
    metrics.fanoutLatency.observe(Math.max(0, Date.now() - Date.parse(event.time)) / 1000);
    return delivered;
  }

  async function start() {
    if (wide.length === 0) {
      wide.push(live.subscribe("match.*", onEvent), live.subscribe("market.*", onEvent));
    }
    const [matchAt, marketAt] = await Promise.all(wide.map((subscription) => subscription.ready));
    // Events delivered while the subscriptions got ready are newer; keep those.
    if (reached.match.epoch === "") reached.match = matchAt!;
    if (reached.market.epoch === "") reached.market = marketAt!;
    const topics: LiveTopic[] = [];
    for (const match of dataset.matches) {
      if (match.season !== options.season) continue;
      topics.push(`match.${match.id}`);
      for (const kind of Object.keys(marketKinds) as MarketKind[]) {
        topics.push(`market.${marketId(match.id, kind)}`);
      }
    }
    // The boards start from each fixture's latest stored event; the subscription, already
    // open, brings everything newer, and the boards keep whichever is newest.
    let next = 0;
    const worker = async () => {
      while (next < topics.length) {
        const topic = topics[next++]!;
        const event = await live.last(topic);
        if (event === undefined) continue;
        if (topic.startsWith("match.")) matches.apply(event);
        else prices.apply(event);
      }
    };
    await Promise.all(Array.from({ length: options.seedConcurrency ?? 16 }, worker));
  }

  return {
    live,
    dataset,
    matches,
    prices,
    ready() {
      if (closed) return Promise.reject(new Error("live hub closed"));
      starting ??= start().catch((err: unknown) => {
        starting = undefined;
        throw err;
      });
      return starting;
    },
    position(kind) {
      return reached[kind];
    },
    attach(route, listener) {
      let listeners = registry.get(route.key);
      if (listeners === undefined) {
        listeners = new Set();
        registry.set(route.key, listeners);
      }
      listeners.add(listener);
      let ready: Promise<unknown> = flowing;
      if (route.kind === "user") {
        let subscription = userSubscriptions.get(route.key);
        if (subscription === undefined) {
          subscription = live.subscribe(route.source, onEvent);
          userSubscriptions.set(route.key, subscription);
        }
        ready = subscription.ready;
      }
      return ready;
    },
    detach(route, listener) {
      const { key } = route;
      const current = registry.get(key);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      registry.delete(key);
      userSubscriptions.get(key)?.close();
      userSubscriptions.delete(key);
    },
    close() {
      closed = true;
      for (const subscription of [...wide, ...userSubscriptions.values()]) subscription.close();
      wide.length = 0;
      userSubscriptions.clear();
      registry.clear();
    },
  };
}
