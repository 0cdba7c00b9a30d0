import WebSocket from "ws";
import type { WebSocketConstructor, WebSocketLike } from "../../shared/client/mod.js";

/**
 * Sockets for the client library (shared/client) over the `ws` package, with the two faults a
 * test cannot cause for real at a chosen moment: a socket dropped mid-stream (`dropLatest`, as a
 * dead network would), and an answer lost with its socket (`loseNext`: the socket is dropped
 * instead of delivering the first frame that matches, so the server did the work and the client
 * never heard).
 */
export interface FaultySockets {
  readonly WebSocket: WebSocketConstructor;
  /** Every socket opened, in order. */
  readonly opened: WebSocket[];
  dropLatest(): void;
  loseNext(matches: (text: string) => boolean): void;
  /** How many frames `loseNext` has swallowed so far. */
  readonly lost: number;
}

export function faultySockets(): FaultySockets {
  const opened: WebSocket[] = [];
  let lose: ((text: string) => boolean) | undefined;
  let lost = 0;

  class FaultyWebSocket implements WebSocketLike {
    readonly #ws: WebSocket;
    onopen: WebSocketLike["onopen"] = null;
    onmessage: WebSocketLike["onmessage"] = null;
    onclose: WebSocketLike["onclose"] = null;
    onerror: WebSocketLike["onerror"] = null;

    constructor(url: string) {
      const ws = new WebSocket(url);
      this.#ws = ws;
      opened.push(ws);
      ws.on("open", () => this.onopen?.({}));
      ws.on("error", () => this.onerror?.({}));
      ws.on("close", (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
      ws.on("message", (data) => {
        const text = data.toString();
        if (lose?.(text)) {
          lose = undefined;
          lost += 1;
          ws.terminate();
          return;
        }
        this.onmessage?.({ data: text });
      });
    }

    get readyState() {
      return this.#ws.readyState;
    }

    send(data: string) {
      this.#ws.send(data);
    }

    close(code?: number, reason?: string) {
      this.#ws.close(code, reason);
    }
  }

  return {
    WebSocket: FaultyWebSocket,
    opened,
    dropLatest: () => opened.at(-1)?.terminate(),
    loseNext(matches) {
      lose = matches;
    },
    get lost() {
      return lost;
    },
  };
}
