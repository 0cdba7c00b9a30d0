import fastifyWebsocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import { type RawData, WebSocket } from "ws";
import type { Logger } from "../../../shared/logger.js";
import { createHeartbeat } from "../session/heartbeat.js";
import { Session, type SessionDeps } from "../session/session.js";
import { closeCodes, type SocketLike, type TextFrame } from "../session/socket-like.js";

const textFrame = Object.freeze({ binary: false });

export interface WsRoutesOptions {
  session: Omit<SessionDeps, "logger" | "heartbeat">;
  /** Largest client frame in bytes; `ws` closes bigger ones with 1009. */
  maxFrameBytes: number;
  /** How long a closing peer may take to answer the close handshake before it is cut off. */
  closeGraceMs: number;
}

/**
 * `GET /ws`: authenticates before the upgrade (401 otherwise) and hands each socket to a
 * `Session`. On shutdown every session is closed with 1012 and the server waits, up to
 * `closeGraceMs`, for the peers to go.
 */
export async function wsRoutes(app: FastifyInstance, options: WsRoutesOptions) {
  const sessions = new Set<Session>();
  // One object for every session; the logger is the app's (the pino logger of `buildApp`'s
  // deps), so no session keeps its upgrade request alive.
  const deps: SessionDeps = {
    ...options.session,
    logger: app.log as Logger,
    heartbeat: createHeartbeat(options.session.heartbeatMs),
  };

  await app.register(fastifyWebsocket, {
    options: { maxPayload: options.maxFrameBytes },
    errorHandler(error, socket, request) {
      // `ws` protocol errors (oversize frame, bad UTF-8, reset) are the peer's doing; `ws` has
      // already started the close with the right code, so the socket is left to finish it.
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && (code.startsWith("WS_ERR_") || code === "ECONNRESET")) {
        request.log.info({ code, message: error.message }, "websocket protocol error");
        return;
      }
      request.log.error({ err: error }, "websocket handler failed");
      socket.terminate();
    },
    async preClose() {
      for (const session of sessions) session.close(closeCodes.serviceRestart, "gateway draining");
      await waitUntil(() => app.websocketServer.clients.size === 0, options.closeGraceMs);
      for (const socket of app.websocketServer.clients) socket.terminate();
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
    },
  });

  app.get("/ws", { websocket: true, onRequest: app.authenticateSocket }, (socket, request) => {
    const session = new Session(new WsSocket(socket, options.closeGraceMs), request.claims!, deps);
    sessions.add(session);
    socket.on("message", onMessage.bind(session));
    socket.on("pong", session.heard.bind(session));
    socket.on("close", onClose.bind(session, sessions));
    session.start();
  });
}

// Listeners bound to their session rather than closures per socket.
function onMessage(this: Session, data: RawData, isBinary: boolean) {
  if (isBinary) this.receiveBinary();
  else this.receive(data.toString());
}

function onClose(this: Session, sessions: Set<Session>) {
  sessions.delete(this);
  this.closed();
}

/** `ws` as a `SocketLike`. */
class WsSocket implements SocketLike {
  constructor(
    private readonly socket: WebSocket,
    private readonly closeGraceMs: number,
  ) {}

  send(text: TextFrame): void {
    // A Buffer would go out as a binary frame unless told otherwise.
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text, textFrame);
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

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
