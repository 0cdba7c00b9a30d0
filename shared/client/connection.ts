import type { ClientFrame } from "../protocol/client-frames.js";
import { closeCodes, isTerminalClose } from "../protocol/close-codes.js";
import type { ServerFrame } from "../protocol/server-frames.js";
import { type BackoffOptions, reconnectDelayMs } from "./backoff.js";
import { ClosedByServerError, TokenExpiredError } from "./errors.js";
import { clientFrames } from "./frames.js";
import { newId } from "./ids.js";
import type { TokenSource } from "./tokens.js";
import { openState, type WebSocketConstructor, type WebSocketLike } from "./web-socket.js";

/**
 * Liveness of a socket: a dead network can hold TCP open for minutes, so the client pings
 * (docs/protocol.md "WebSocket": `ping` frames) and watches for any frame at all.
 */
export interface LivenessOptions {
  pingEveryMs: number;
  /** Silent this long: the state turns `stale` (do not trade on what you last saw). */
  staleMs: number;
  /** Silent this long: the socket is dropped without a close handshake and a new one resumes. */
  abandonMs: number;
}

export const defaultLiveness: LivenessOptions = { pingEveryMs: 1_000, staleMs: 3_000, abandonMs: 8_000 };

/** What the connection is doing, as data: the program decides what to show or log. */
export type ConnectionState =
  | { state: "connecting"; url: string }
  | { state: "online"; url: string; gatewayId: string; sessionId: string }
  | { state: "stale"; silentMs: number }
  | { state: "reconnecting"; closeCode: number; retryInMs: number }
  | { state: "closed"; error?: Error };

export interface ConnectionOptions {
  /** Gateways' `/ws` URLs; each new socket goes to the next one, so a dead gateway is left behind. */
  urls: readonly string[];
  tokens: TokenSource;
  WebSocket: WebSocketConstructor;
  backoff: BackoffOptions;
  liveness: LivenessOptions;
}

export interface ConnectionHandlers {
  /** A socket was welcomed: send again what the session needs (subscriptions, runs, requests). */
  welcomed(): void;
  received(frame: ServerFrame): void;
  /** The connection closed for good (`close()`, or an error no reconnect can cure). */
  closed(error?: Error): void;
}

export interface Connection {
  readonly state: ConnectionState;
  /** A socket is welcomed and open: frames sent now reach a gateway. */
  readonly online: boolean;
  send(frame: ClientFrame): boolean;
  onState(listener: (state: ConnectionState) => void): () => void;
  close(error?: Error): void;
}

/** What the client records for a socket it gave up on, or that never opened (RFC 6455's "abnormal"). */
const abandonedCode = 1006;

/**
 * One logical connection over a succession of sockets: reconnects with jittered backoff after a
 * drain (1012), a lost network, a silent socket or any close of the reconnect range
 * (docs/protocol.md "Close codes"), and stops for good on a terminal one; renews the token before
 * it expires (an `auth` frame) or, after 4001, before the next socket.
 */
export function openConnection(options: ConnectionOptions, handlers: ConnectionHandlers): Connection {
  const { tokens, liveness } = options;
  let socket: WebSocketLike | undefined;
  let url = options.urls[0]!;
  let nextUrl = 0;
  let welcomed = false;
  let stale = false;
  let closed = false;
  /** Failed attempts since the last welcome: the backoff's exponent. */
  let attempt = 0;
  let renewToken = false;
  let heardAt = 0;
  let authId: string | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let watchTimer: ReturnType<typeof setInterval> | undefined;
  let state: ConnectionState = { state: "connecting", url };
  /** The state of the welcomed socket, to report again when a stale one speaks up. */
  let onlineState: ConnectionState = state;
  const listeners = new Set<(state: ConnectionState) => void>();

  function setState(next: ConnectionState) {
    state = next;
    for (const listener of listeners) listener(next);
  }

  async function connect() {
    url = options.urls[nextUrl++ % options.urls.length]!;
    setState({ state: "connecting", url });
    let token: string;
    try {
      token = await tokens.current(renewToken);
      renewToken = false;
    } catch (error) {
      if (error instanceof TokenExpiredError) return close(error);
      return reconnect(abandonedCode); // getToken failed: try again after a backoff.
    }
    if (closed) return;
    const ws = new options.WebSocket(
      `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`,
    );
    socket = ws;
    welcomed = false;
    stale = false;
    heardAt = Date.now();
    ws.onmessage = (event) => {
      if (socket === ws) heard(event.data);
    };
    ws.onclose = (event) => dropped(ws, event.code, false, event.reason);
    // A failed socket also closes; the close is what counts. (The `ws` package throws an
    // 'error' event that has no listener, so this one stays set even on an abandoned socket.)
    ws.onerror = () => {};
    watchTimer = setInterval(watch, liveness.pingEveryMs);
  }

  function heard(data: unknown) {
    heardAt = Date.now();
    const frame = parse(data);
    if (frame === undefined) return;
    if (stale && welcomed) {
      stale = false;
      setState(onlineState);
    }
    if (frame.type === "welcome") {
      welcomed = true;
      attempt = 0;
      onlineState = { state: "online", url, gatewayId: frame.gatewayId, sessionId: frame.sessionId };
      setState(onlineState);
      scheduleRefresh();
      handlers.welcomed();
      return;
    }
    if ("id" in frame && frame.id !== undefined && frame.id === authId) {
      authId = undefined;
      // Refused (another user's token): the server closes 1008 and the reconnect renews.
      if (frame.type === "auth.ok") scheduleRefresh();
      return;
    }
    handlers.received(frame);
  }

  function watch() {
    const ws = socket;
    if (ws === undefined) return;
    const silentMs = Date.now() - heardAt;
    if (silentMs >= liveness.abandonMs) return abandon(ws);
    if (!welcomed || ws.readyState !== openState) return;
    ws.send(JSON.stringify(clientFrames.ping(newId("ping"))));
    if (silentMs >= liveness.staleMs && !stale) {
      stale = true;
      setState({ state: "stale", silentMs });
    }
  }

  /** A silent socket may never finish a close handshake: forget it and reconnect at once. */
  function abandon(ws: WebSocketLike) {
    ws.onmessage = null;
    ws.onclose = null;
    try {
      ws.close();
    } catch {
      // Closing a socket still connecting may throw in some runtimes; it is forgotten either way.
    }
    dropped(ws, abandonedCode, true);
  }

  function dropped(ws: WebSocketLike, code: number, immediately = false, reason = "") {
    if (ws !== socket) return;
    socket = undefined;
    const wasWelcomed = welcomed;
    welcomed = false;
    stale = false;
    authId = undefined;
    clearInterval(watchTimer);
    clearTimeout(refreshTimer);
    if (closed) return;
    // docs/protocol.md "Close codes": 4500–4999 say do not come back.
    if (isTerminalClose(code)) return close(new ClosedByServerError(code, reason));
    if (code === closeCodes.tokenExpired) {
      if (!tokens.renewable) return close(new TokenExpiredError());
      renewToken = true;
    }
    // Refused twice before a welcome: perhaps the token (a browser cannot read the 401).
    if (!wasWelcomed && attempt > 0 && tokens.renewable) renewToken = true;
    reconnect(code, immediately);
  }

  function reconnect(code: number, immediately = false) {
    if (closed) return;
    const retryInMs = immediately
      ? 0
      : reconnectDelayMs(options.backoff, attempt, code === closeCodes.serviceRestart);
    attempt += 1;
    setState({ state: "reconnecting", closeCode: code, retryInMs });
    reconnectTimer = setTimeout(() => void connect(), retryInMs);
  }

  /** Renews the token at `tokens.refreshAt()` and hands it to the gateway (docs/protocol.md `auth`). */
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const at = tokens.refreshAt();
    if (!tokens.renewable || at === undefined) return;
    refreshTimer = setTimeout(() => void refresh(), Math.max(0, at - Date.now()));
  }

  async function refresh() {
    const ws = socket;
    let token: string;
    try {
      token = await tokens.current(true);
    } catch {
      // The auth service is unreachable: try again shortly; at `exp` the gateway closes 4001.
      refreshTimer = setTimeout(() => void refresh(), 1_000);
      return;
    }
    if (ws === undefined || ws !== socket || !welcomed) return;
    authId = newId("auth");
    send(clientFrames.auth(authId, token));
  }

  function send(frame: ClientFrame): boolean {
    if (socket === undefined || !welcomed || socket.readyState !== openState) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function close(error?: Error) {
    if (closed) return;
    closed = true;
    clearTimeout(reconnectTimer);
    clearTimeout(refreshTimer);
    clearInterval(watchTimer);
    const ws = socket;
    socket = undefined;
    if (ws !== undefined) {
      ws.onmessage = null;
      ws.onclose = null;
      try {
        ws.close(1000, "client closed");
      } catch {
        // Still connecting: nothing to say goodbye to.
      }
    }
    setState(error === undefined ? { state: "closed" } : { state: "closed", error });
    handlers.closed(error);
  }

  void connect();
  return {
    get state() {
      return state;
    },
    get online() {
      return welcomed && socket !== undefined;
    },
    send,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close,
  };
}

/** A server frame, or undefined for anything else (the client never trusts a frame's shape blindly). */
function parse(data: unknown): ServerFrame | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const value = JSON.parse(data) as unknown;
    if (
      typeof value !== "object" ||
      value === null ||
      typeof (value as { type?: unknown }).type !== "string"
    ) {
      return undefined;
    }
    return value as ServerFrame;
  } catch {
    return undefined;
  }
}
