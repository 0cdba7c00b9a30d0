import WebSocket from "ws";
import type { Backend, HttpAnswer, HttpExchange, SocketSink } from "./standins/runtime.js";

/** The stand-ins' backend over real connections: Node's `fetch` and the `ws` client. */
export function createNodeBackend(): Backend {
  return {
    async request(exchange: HttpExchange): Promise<HttpAnswer> {
      const response = await fetch(exchange.url, {
        method: exchange.method,
        headers: exchange.headers,
        ...(exchange.body === null ? {} : { body: exchange.body }),
      });
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      };
    },

    connect(url: string, headers: Record<string, string>, sink: SocketSink) {
      const socket = new WebSocket(url, { headers });
      socket.on("open", () => sink.open());
      socket.on("message", (data) => sink.message(data.toString()));
      socket.on("error", (err) => sink.error(err.message));
      socket.on("close", (code) => sink.close(code));
      return {
        send: (text: string) => socket.send(text),
        close: () => socket.close(),
      };
    },
  };
}
