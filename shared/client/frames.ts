import type { ClientFrameOf } from "../protocol/client-frames.js";

/**
 * Every client frame (docs/protocol.md "WebSocket"), built in one place: the client library
 * sends these, and so do the k6 scripts (loadtest/k6/lib/platform.ts), whose runtime cannot run
 * the library itself. Pure functions of their arguments — ids come from the caller — with
 * type-only imports, so the module runs unchanged in Node, browsers and k6.
 */

/** Where a reader is in a channel: the `seq` and `epoch` of the last message received. */
export interface ChannelPosition {
  seq: number;
  epoch: string;
}

/** A quote's order: a trade's order may be passed as it is (its limits are left out). */
export type QuoteOrder = Pick<ClientFrameOf<"quote">, "marketId" | "outcome" | "side" | "shares">;
/** A trade: the `idempotencyKey` is the caller's, kept on every resend of the same trade. */
export type TradeOrder = Omit<ClientFrameOf<"trade">, "type" | "id">;
/** What an `agent.run` asks: an agent by name or an intent, the user's words, its options. */
export type AgentAsk = Omit<ClientFrameOf<"agent.run">, "type" | "id">;

export const clientFrames = {
  /** `since` names where to resume each channel; channels without one start from a snapshot. */
  subscribe(id: string, channels: string[], since?: Record<string, ChannelPosition>) {
    const frame: ClientFrameOf<"subscribe"> = { type: "subscribe", id, channels };
    if (since !== undefined && Object.keys(since).length > 0) frame.since = since;
    return frame;
  },
  unsubscribe(id: string, channels: string[]): ClientFrameOf<"unsubscribe"> {
    return { type: "unsubscribe", id, channels };
  },
  quote(id: string, order: QuoteOrder): ClientFrameOf<"quote"> {
    return {
      type: "quote",
      id,
      marketId: order.marketId,
      outcome: order.outcome,
      side: order.side,
      shares: order.shares,
    };
  },
  trade(id: string, order: TradeOrder): ClientFrameOf<"trade"> {
    return { type: "trade", id, ...order };
  },
  agentRun(id: string, ask: AgentAsk): ClientFrameOf<"agent.run"> {
    return { type: "agent.run", id, ...ask };
  },
  /** Cancels the run this socket started (or resumed) under frame id `id`. */
  agentCancel(id: string): ClientFrameOf<"agent.cancel"> {
    return { type: "agent.cancel", id };
  },
  /** Picks up run `requestId` under frame id `id`, from the frame after `seq` `after`. */
  agentResume(id: string, requestId: string, after: number): ClientFrameOf<"agent.resume"> {
    return { type: "agent.resume", id, requestId, after };
  },
  agentConfirmReply(
    id: string,
    requestId: string,
    confirmId: string,
    accept: boolean,
  ): ClientFrameOf<"agent.confirm.reply"> {
    return { type: "agent.confirm.reply", id, requestId, confirmId, accept };
  },
  auth(id: string, token: string): ClientFrameOf<"auth"> {
    return { type: "auth", id, token };
  },
  ping(id: string): ClientFrameOf<"ping"> {
    return { type: "ping", id };
  },
};
