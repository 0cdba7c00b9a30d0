/**
 * A live-betting user (docs/protocol.md "WebSocket"): one socket subscribed to `scores`, the
 * user's own `user` channel and a few `market.<id>`; now and then a quote followed by a trade on
 * one of those markets; halfway through, the socket drops and the user reconnects and resubscribes
 * with `since`, as a client must, expecting the missed events rather than snapshots.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 loadtest/k6/live-betting.ts
 *
 * Live delivery: live events carry no timestamp, so the one whose cause a client can time is its
 * own trade's `fill` on the `user` channel. `live_delivery` is the time from sending the trade to
 * that event: the trade, its publish and the fan-out together, an upper bound of delivery alone.
 */

import { Counter, Rate, Trend } from "k6/metrics";
import type { Options } from "k6/options";
import { clearInterval, setInterval, setTimeout } from "k6/timers";
import {
  type ChannelPosition,
  creditsCeil,
  creditsFloor,
  envInt,
  frameId,
  frames,
  type MarketSummary,
  openMarkets,
  parseServerFrame,
  rampingUsers,
  send,
  slo,
  socketParams,
  type TradeOrder,
  tokenFor,
  vuTier,
  vuUserId,
  WebSocket,
  wsUrl,
} from "./lib/platform.ts";

const sessionMs = envInt("SESSION_MS", 60_000);
const tradeEveryMs = envInt("TRADE_EVERY_MS", 10_000);
const dropAfterMs = envInt("DROP_AFTER_MS", Math.floor(sessionMs / 2));
const marketsPerUser = envInt("MARKETS", 3);
/** How long a session's end waits for answers and fills still on their way. */
const endGraceMs = envInt("END_GRACE_MS", 2000);
const vus = envInt("VUS", 50);

const tradeDuration = new Trend("trade_duration", true);
const quoteDuration = new Trend("quote_duration", true);
const liveDelivery = new Trend("live_delivery", true);
const liveEvents = new Counter("live_events");
const tradesRejected = new Counter("trades_rejected");
/** Per channel of a resubscription with `since`: whether the missed events came (`recovered`). */
const liveResumed = new Rate("live_resumed");
/** Per answer the session waited for: whether it was a protocol or server error (or never came). */
const liveErrors = new Rate("live_errors");

export const options: Options = {
  scenarios: {
    live_betting: rampingUsers(vus, "30s"),
  },
  thresholds: {
    trade_duration: [`p(99)<=${slo.tradeP99Ms}`],
    live_delivery: [`p(99)<=${slo.liveDeliveryP99Ms}`],
    live_errors: [`rate<${slo.errorRate}`],
    live_resumed: [`rate>=${1 - slo.errorRate}`],
  },
};

/** Trade rejections that are the market's answer, not a fault: a goal suspends a market. */
const businessRejections = new Set(["market_closed", "price_moved", "insufficient_funds"]);

/** The markets this VU's user follows, read once per VU (each VU has its own module state). */
let followed: MarketSummary[] | undefined;

export default async function (): Promise<void> {
  const userId = vuUserId("k6-live");
  const token = await tokenFor(userId, vuTier());
  if (followed === undefined) {
    const pool = await openMarkets(envInt("MARKET_POOL", 30));
    const count = Math.min(marketsPerUser, pool.length);
    followed = Array.from({ length: count }, (_, i) => pool[(__VU + i) % pool.length]!);
  }
  await new LiveSession(token, followed).run();
}

interface Waiting {
  kind: "subscribe" | "quote" | "trade";
  sentAt: number;
  /** A resubscription's channels sent with `since`: only these can be `recovered`. */
  since?: string[];
  order?: TradeOrder;
}

class LiveSession {
  private readonly token: string;
  private readonly markets: MarketSummary[];
  private readonly channels: string[];
  private readonly positions: Record<string, ChannelPosition> = {};
  /** Frames sent on the current socket and not yet answered, by frame id. */
  private waiting: Record<string, Waiting> = {};
  /** Filled trades whose `fill` event has not arrived: when each was sent, by trade id. */
  private unfilled: Record<string, number> = {};
  /** `fill` events that arrived before their trade's answer: when, by trade id. */
  private earlyFills: Record<string, number> = {};
  /** Every subscribe frame this session sent, and whether it has been answered. */
  private readonly subscribes: Record<string, "sent" | "answered"> = {};
  /** Shares held per `marketId outcome`, to sell some back now and then. */
  private readonly held: Record<string, number> = {};
  private socket: WebSocket | undefined;
  /** Whether the current socket has been subscribed: trading waits for it. */
  private live = false;
  private connections = 0;
  /** Reconnections since the last successful subscribe: the backoff grows with them. */
  private failures = 0;
  private trades = 0;
  private ending = false;
  private done: () => void = () => {};

  constructor(token: string, markets: MarketSummary[]) {
    this.token = token;
    this.markets = markets;
    this.channels = ["scores", "user", ...markets.map((m) => `market.${m.marketId}`)];
  }

  run(): Promise<void> {
    return new Promise((resolve) => {
      this.done = resolve;
      this.connect();
      const trading = setInterval(() => this.trade(), tradeEveryMs);
      setTimeout(() => this.drop(), dropAfterMs);
      setTimeout(() => {
        clearInterval(trading);
        this.end(Date.now() + endGraceMs);
      }, sessionMs);
    });
  }

  private connect(): void {
    const socket = new WebSocket(wsUrl, null, socketParams(this.token, "live"));
    const resuming = this.connections > 0;
    this.connections += 1;
    this.socket = socket;
    this.live = false;
    socket.addEventListener("message", (event) => {
      if (this.socket === socket && "data" in event) this.onFrame(socket, event.data, resuming);
    });
    socket.addEventListener("error", () => {
      if (this.socket === socket) liveErrors.add(true);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      // A close we did not ask for (a drain's 1012, a reset, a refusal) is a drop too: resume,
      // with a backoff that grows while the gateway keeps refusing (docs/protocol.md).
      if (this.ending) {
        this.done();
        return;
      }
      const delayMs = Math.min(100 * 2 ** this.failures, 5000);
      this.failures += 1;
      setTimeout(() => {
        if (!this.ending) this.connect();
      }, delayMs);
    });
  }

  /** The socket drops: whatever it was waiting for is lost with it, and the client resumes. */
  private drop(): void {
    const socket = this.socket;
    if (socket === undefined || this.ending) return;
    this.waiting = {};
    this.unfilled = {};
    this.earlyFills = {};
    this.socket = undefined;
    socket.close();
    this.connect();
  }

  private end(deadline: number): void {
    this.ending = true;
    const outstanding = Object.keys(this.waiting).length + Object.keys(this.unfilled).length;
    if (outstanding > 0 && Date.now() < deadline) {
      setTimeout(() => this.end(deadline), 50);
      return;
    }
    for (let i = 0; i < outstanding; i++) liveErrors.add(true);
    if (this.socket === undefined) this.done();
    else this.socket.close();
  }

  private onFrame(socket: WebSocket, data: unknown, resuming: boolean): void {
    const frame = parseServerFrame(data);
    const now = Date.now();
    switch (frame.type) {
      case "welcome": {
        const id = frameId("sub");
        const since = resuming ? this.positions : undefined;
        this.waiting[id] = { kind: "subscribe", sentAt: now, since: Object.keys(since ?? {}) };
        this.subscribes[id] = "sent";
        send(socket, frames.subscribe(id, this.channels, since));
        return;
      }
      case "subscribed": {
        const waiting = this.answer(frame.id);
        this.subscribes[frame.id] = "answered";
        this.live = true;
        this.failures = 0;
        for (const state of frame.channels) {
          if (waiting?.since?.includes(state.channel)) liveResumed.add(state.recovered === true);
        }
        liveErrors.add((frame.rejected ?? []).length > 0);
        return;
      }
      case "event":
      case "snapshot": {
        this.positions[frame.channel] = { seq: frame.seq, epoch: frame.epoch };
        if (frame.type === "event") {
          liveEvents.add(1);
          this.onUserEvent(frame.channel, frame.data, now);
        }
        return;
      }
      case "quote.result": {
        const waiting = this.answer(frame.id);
        if (waiting?.order === undefined) return;
        quoteDuration.add(now - waiting.sentAt);
        liveErrors.add(false);
        const order = waiting.order;
        // A 5 % margin on the quote: the price may move before the trade lands.
        if (order.side === "buy") order.maxCost = creditsCeil(frame.cost * 1.05);
        else order.minProceeds = creditsFloor(frame.cost * 0.95);
        const id = frameId("trade");
        order.idempotencyKey = id;
        this.waiting[id] = { kind: "trade", sentAt: Date.now(), order };
        send(socket, frames.trade(id, order));
        return;
      }
      case "trade.filled": {
        const waiting = this.answer(frame.id);
        if (waiting === undefined) return;
        tradeDuration.add(now - waiting.sentAt);
        liveErrors.add(false);
        const { tradeId, marketId, outcome, side, shares } = frame.trade;
        const key = `${marketId} ${outcome}`;
        this.held[key] = (this.held[key] ?? 0) + (side === "buy" ? shares : -shares);
        const early = this.earlyFills[tradeId];
        if (early !== undefined) {
          delete this.earlyFills[tradeId];
          liveDelivery.add(early - waiting.sentAt);
        } else {
          this.unfilled[tradeId] = waiting.sentAt;
        }
        return;
      }
      case "trade.rejected": {
        const waiting = this.answer(frame.id);
        if (waiting === undefined) return;
        tradeDuration.add(now - waiting.sentAt);
        tradesRejected.add(1, { code: frame.code });
        liveErrors.add(!businessRejections.has(frame.code));
        return;
      }
      case "error": {
        // A subscribe's refused channels each get an error after `subscribed`, which counted them;
        // only a subscribe refused whole has no `subscribed`.
        if (frame.id !== undefined && this.subscribes[frame.id] === "answered") return;
        const waiting = frame.id === undefined ? undefined : this.answer(frame.id);
        if (waiting?.kind === "subscribe") this.subscribes[frame.id!] = "answered";
        liveErrors.add(!(waiting?.kind === "quote" && businessRejections.has(frame.code)));
        return;
      }
      default:
        return;
    }
  }

  private onUserEvent(channel: string, data: unknown, now: number): void {
    if (channel !== "user") return;
    const event = data as { kind?: string; trade?: { tradeId?: string } };
    const tradeId = event.kind === "fill" ? event.trade?.tradeId : undefined;
    if (tradeId === undefined) return;
    const sentAt = this.unfilled[tradeId];
    if (sentAt === undefined) {
      this.earlyFills[tradeId] = now;
      return;
    }
    delete this.unfilled[tradeId];
    liveDelivery.add(now - sentAt);
  }

  private answer(id: string): Waiting | undefined {
    const waiting = this.waiting[id];
    delete this.waiting[id];
    return waiting;
  }

  /** A quote, then (on its result) the trade: buys a few shares, or sells back half of a holding. */
  private trade(): void {
    const socket = this.socket;
    if (socket === undefined || !this.live || this.ending || this.markets.length === 0) return;
    const market = this.markets[this.trades % this.markets.length]!;
    const outcome = market.outcomes[this.trades % market.outcomes.length]!;
    this.trades += 1;
    const held = this.held[`${market.marketId} ${outcome}`] ?? 0;
    const order: TradeOrder =
      held >= 2
        ? { marketId: market.marketId, outcome, side: "sell", shares: creditsFloor(held / 2) }
        : { marketId: market.marketId, outcome, side: "buy", shares: 2 };
    const id = frameId("quote");
    this.waiting[id] = { kind: "quote", sentAt: Date.now(), order };
    send(socket, frames.quote(id, order));
  }
}
