/**
 * The part of the WHATWG WebSocket the client uses: the browser's, Node 22's global one and the
 * `ws` package's all fit, so the client runs anywhere (Node 20 has no global WebSocket: pass
 * `ws`'s as the `WebSocket` option).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/**
 * An event handler, declared as a method so that each runtime's own handler types (whose events
 * carry more than these fields) fit: `ws`'s class is then a `WebSocketConstructor` as it is.
 */
type Handler<E> = { handle(event: E): void }["handle"];

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const openState = 1;

/** The WebSocket to use: the one given, else the global one, else a clear error saying what to pass. */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (found === undefined) {
    throw new TypeError(
      "no WebSocket in this runtime (Node < 22): pass one, e.g. connect({ WebSocket: (await import('ws')).WebSocket, … })",
    );
  }
  return found;
}
