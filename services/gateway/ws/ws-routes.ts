import fastifyWebsocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import { WebSocket } from "ws";
import type { Logger } from "../../../shared/logger.js";
import { Session, type SessionDeps } from "../session/session.js";
import { closeCodes, type SocketLike } from "../session/socket-like.js";

export interface WsRoutesOptions {
  session: Omit<SessionDeps, "logger">;
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
    const session = new Session(adaptSocket(socket, options.closeGraceMs), request.claims!, {
      ...options.session,
      // The app's logger instance is the pino logger of `buildApp`'s deps.
      logger: request.log as Logger,
    });
    sessions.add(session);
    socket.on("message", (data, isBinary) => {
      if (isBinary) session.receiveBinary();
      else session.receive(data.toString());
    });
    socket.on("pong", () => session.heard());
    socket.on("close", () => {
      sessions.delete(session);
      session.closed();
    });
    session.start();
  });
}

function adaptSocket(socket: WebSocket, closeGraceMs: number): SocketLike {
  return {
    send(text) {
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
    },
    ping() {
      if (socket.readyState === WebSocket.OPEN) socket.ping();
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    close(code, reason) {
      if (socket.readyState !== WebSocket.OPEN && socket.readyState !== WebSocket.CONNECTING) return;
      socket.close(code, reason);
      // A peer that neither reads nor answers the handshake (slow, silent) is cut off.
      const timer = setTimeout(() => socket.terminate(), closeGraceMs);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    },
  };
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
