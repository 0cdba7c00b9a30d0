import type { ClientFrame, ClientFrameOf } from "../protocol/client-frames.js";
import type { QuoteResultFrame, ServerFrame, TradeFilledFrame } from "../protocol/server-frames.js";
import { ClientClosedError, ProtocolError, RequestTimeoutError } from "./errors.js";
import { clientFrames, type QuoteOrder, type TradeOrder } from "./frames.js";
import { newId } from "./ids.js";

/** A trade; `idempotencyKey` is generated when absent (pass one to retry a trade whose outcome is unknown). */
export type { QuoteOrder, TradeOrder };
export type Quote = QuoteResultFrame;
export type Fill = TradeFilledFrame["trade"];

interface Pending {
  frame: ClientFrameOf<"quote"> | ClientFrameOf<"trade">;
  resolve: (answer: ServerFrame) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Quotes and trades: each waits for its answer across reconnects and is sent again on every new
 * socket until answered. That is safe because a quote changes nothing and a trade carries one
 * `idempotencyKey` for all its sends, which the exchange never fills twice (docs/protocol.md
 * "WebSocket"): a trade whose answer was lost with its socket fills once, and its resend gets
 * that one fill back.
 */
export function createRequests(send: (frame: ClientFrame) => boolean, timeoutMs: number) {
  const pending = new Map<string, Pending>();

  function request(frame: Pending["frame"]): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(frame.id);
        reject(
          new RequestTimeoutError(frame.type, frame.type === "trade" ? frame.idempotencyKey : undefined),
        );
      }, timeoutMs);
      pending.set(frame.id, { frame, resolve, reject, timer });
      send(frame);
    });
  }

  return {
    async quote(order: QuoteOrder): Promise<Quote> {
      const answer = await request(clientFrames.quote(newId("q"), order));
      if (answer.type !== "quote.result") throw unexpected(answer);
      return answer;
    },

    async trade(order: TradeOrder): Promise<Fill> {
      const answer = await request(clientFrames.trade(newId("t"), { idempotencyKey: newId("k"), ...order }));
      if (answer.type === "trade.rejected") throw new ProtocolError(answer);
      if (answer.type !== "trade.filled") throw unexpected(answer);
      return answer.trade;
    },

    welcomed() {
      for (const { frame } of pending.values()) send(frame);
    },

    receive(frame: ServerFrame): boolean {
      const id = "id" in frame ? frame.id : undefined;
      const entry = id === undefined ? undefined : pending.get(id);
      if (entry === undefined) return false;
      pending.delete(id!);
      clearTimeout(entry.timer);
      if (frame.type === "error") entry.reject(new ProtocolError(frame));
      else entry.resolve(frame);
      return true;
    },

    closeAll(error?: Error) {
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.reject(new ClientClosedError(error));
      }
      pending.clear();
    },
  };
}

function unexpected(frame: ServerFrame): ProtocolError {
  return new ProtocolError({ code: "internal", message: `unexpected answer ${frame.type}` });
}
