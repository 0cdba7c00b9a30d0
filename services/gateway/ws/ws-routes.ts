import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../../../shared/logger.js";
import { closeCodes } from "../../../shared/protocol/close-codes.js";
import type { Claims } from "../auth/claims.js";
import { createHeartbeat } from "../session/heartbeat.js";
import { Session, type SessionDeps } from "../session/session.js";
import type { SocketLike, TextFrame } from "../session/socket-like.js";
import { createSocketCap } from "./socket-cap.js";
import { createUpgradeGate, refuseUpgrade } from "./upgrade.js";
import { wireFrame } from "./wire-frame.js";

export interface WsRoutesOptions {
  session: Omit<SessionDeps, "logger" | "heartbeat">;
  /** Largest client frame in bytes; `ws` closes bigger ones with 1009. */
  maxFrameBytes: number;
  /** How long a closing peer may take to answer the close handshake before it is cut off. */
  closeGraceMs: number;
  /** Open sockets of one user on this gateway; more are refused with `too_many_sockets`. */
  maxSocketsPerUser: number;
}

/**
 * `GET /ws`: the HTTP server's upgrades are admitted (token, request limit, sockets per user:
 * 401/429 otherwise, see `upgrade.ts`) and each socket is handed to a `Session`. On shutdown every session is
 * closed with 1012 and the server waits, up to `closeGraceMs`, for the peers to go.
 */
export async function wsRoutes(app: FastifyInstance, options: WsRoutesOptions) {
  // One object for every session; the logger is the app's, so a session holds nothing of the
  // upgrade request.
  const deps: SessionDeps = {
    ...options.session,
    logger: app.log as Logger,
    heartbeat: createHeartbeat(options.session.heartbeatMs),
  };
  const admit = createUpgradeGate(app, createSocketCap(options.maxSocketsPerUser));
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    WebSocket: SessionSocket,
    // Live events are written past `ws` (`WsSocket.send`), which holds as long as `ws` never
    // queues a frame of its own: no compression.
    perMessageDeflate: false,
  });

  const start = (socket: SessionSocket, raw: Duplex, claims: Claims) => {
    try {
      const session = new Session(new WsSocket(socket, raw, options.closeGraceMs), claims, deps);
      socket.session = session;
      socket.on("message", onMessage);
      socket.on("pong", onPong);
      socket.on("close", onClose);
      socket.on("error", onError);
      session.start();
    } catch (err) {
      app.log.error({ err }, "websocket session failed to start");
      socket.terminate();
    }
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its error listener off before emitting `upgrade`; until `ws` adds its own, a
    // reset while the token and the limit are checked must not become an uncaught error.
    socket.on("error", destroyOnError);
    admit(request, socket).then(
      (claims) => {
        socket.removeListener("error", destroyOnError);
        wss.handleUpgrade(request, socket, head, (ws) => start(ws as SessionSocket, socket, claims));
      },
      (err: unknown) => {
        const error = refuseUpgrade(socket, err);
        if (error.code === "internal") app.log.error({ err }, "websocket upgrade failed");
        else app.log.info({ code: error.code, message: error.message }, "websocket upgrade refused");
      },
    );
  };
  app.server.on("upgrade", onUpgrade);

  app.addHook("preClose", async () => {
    app.server.removeListener("upgrade", onUpgrade);
    for (const socket of wss.clients) {
      (socket as SessionSocket).session?.close(closeCodes.serviceRestart, "gateway draining");
    }
    await waitUntil(() => wss.clients.size === 0, options.closeGraceMs);
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}

/**
 * A `ws` socket that knows its session, so the listeners below are shared functions (`this` is
 * the socket) instead of closures or bound functions made for every socket.
 */
class SessionSocket extends WebSocket {
  session: Session | undefined = undefined;
}

/** The session of a socket `start` set up (every listener below is added after it is set). */
function sessionOf(socket: WebSocket): Session {
  return (socket as SessionSocket).session!;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean) {
  if (isBinary) sessionOf(this).receiveBinary();
  else sessionOf(this).receive(data.toString());
}

function onPong(this: WebSocket) {
  sessionOf(this).heard();
}

function onClose(this: WebSocket) {
  sessionOf(this).closed();
}

function onError(this: WebSocket, error: Error) {
  // `ws` protocol errors (oversize frame, bad UTF-8, reset) are the peer's doing; `ws` has
  // already started the close with the right code, so the socket is left to finish it.
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (code.startsWith("WS_ERR_") || code === "ECONNRESET")) {
    sessionOf(this).logger.info({ code, message: error.message }, "websocket protocol error");
    return;
  }
  sessionOf(this).logger.error({ err: error }, "websocket failed");
  this.terminate();
}

function destroyOnError(this: Duplex) {
  this.destroy();
}

/** `ws` as a `SocketLike`. */
class WsSocket implements SocketLike {
  #corked = false;

  constructor(
    private readonly socket: WebSocket,
    /** The connection under `socket`, which `ws` writes each frame to. */
    private readonly raw: Duplex,
    private readonly closeGraceMs: number,
  ) {}

  cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.raw.cork();
    // After the promise jobs of this turn: a relay's frames follow one another through them.
    process.nextTick(uncork, this);
  }

  uncorked(): void {
    this.#corked = false;
    this.raw.uncork();
  }

  send(text: TextFrame): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (typeof text === "string") this.socket.send(text);
    // A Buffer is a frame many sockets get (a live event): framed once for all of them and
    // written straight to the connection, one write of one buffer. `ws` writes only whole
    // frames, and at once (no compression), so none can come between.
    else this.raw.write(wireFrame(text));
  }

  ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    const { socket } = this;
    if (socket.readyState !== WebSocket.OPEN && socket.readyState !== WebSocket.CONNECTING) return;
    socket.close(code, reason);
    // A peer that neither reads nor answers the handshake (slow, silent) is cut off.
    const timer = setTimeout(() => socket.terminate(), this.closeGraceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }
}

function uncork(socket: WsSocket) {
  socket.uncorked();
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
