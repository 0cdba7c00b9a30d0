import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError, toAppError } from "../../../shared/errors.js";
import { bearerToken } from "../auth/auth-plugin.js";
import type { Claims } from "../auth/claims.js";
import type { SocketCap } from "./socket-cap.js";

/** The one path that upgrades (docs/protocol.md "WebSocket `GET /ws`"). */
export const wsPath = "/ws";

/**
 * Admits a WebSocket upgrade request as Fastify would admit `GET /ws` (docs/protocol.md
 * "Authentication"): the path and method, then the token (`Authorization: Bearer`, or `?token=`
 * for browsers), then the user's HTTP request limit, which an upgrade counts against like any
 * authenticated request, then the user's open sockets on this gateway (`cap`): an admitted
 * connection holds a place until it closes, whether or not the WebSocket handshake completes.
 * Resolves to the token's claims; rejects with the `AppError` to answer (`not_found`,
 * `unauthorized`, `rate_limited`, `too_many_sockets`), before any upgrade.
 *
 * The upgrade does not go through Fastify's router: a routed request would stay reachable from
 * the upgraded socket (its `ServerResponse`, Fastify's request and reply, their loggers) for the
 * socket's whole life, about 3 KB per socket that nothing reads.
 */
export type UpgradeGate = (request: IncomingMessage, socket: Duplex) => Promise<Claims>;

export function createUpgradeGate(app: FastifyInstance, cap: SocketCap): UpgradeGate {
  const limit = app.createRateLimit();
  return async (request, socket) => {
    const url = request.url ?? "";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (path !== wsPath || request.method !== "GET") {
      throw new AppError("not_found", `no route ${request.method} ${path}`);
    }
    const token =
      bearerToken(request.headers.authorization) ??
      (query < 0 ? undefined : queryToken(url.slice(query + 1)));
    if (token === undefined) throw new AppError("unauthorized", "missing bearer token");
    const claims = app.tokens.verify(token);
    // The limiter reads only these of a request: the key generator's `claims` and `ip`
    // (`http/http-rate-limit.ts`) and the plugin's per-route group.
    const counted = await limit({
      claims,
      ip: request.socket.remoteAddress ?? "",
      routeOptions: { config: {} },
    } as unknown as FastifyRequest);
    if (!counted.isAllowed && counted.isExceeded) {
      throw new AppError("rate_limited", `at most ${counted.max} requests per minute; slow down`, {
        retryAfterMs: counted.ttl,
      });
    }
    // A connection that closed while the token and the limit were checked has already emitted
    // (or is about to emit) `close`: it must take no place, or the place would never come back.
    if (socket.destroyed) throw new AppError("bad_request", "connection closed during the upgrade");
    if (!cap.acquire(claims.sub)) {
      throw new AppError(
        "too_many_sockets",
        `at most ${cap.maxPerUser} open sockets per user on this gateway; close one first`,
      );
    }
    socket.once("close", () => cap.release(claims.sub));
    return claims;
  };
}

/** `?token=` when given exactly once and not empty, as Fastify's query parser would read it. */
function queryToken(search: string): string | undefined {
  const tokens = new URLSearchParams(search).getAll("token");
  return tokens.length === 1 && tokens[0] !== "" ? tokens[0] : undefined;
}

/**
 * Answers a refused upgrade as every HTTP error of the gateway is answered
 * (`{"error":{"code","message"}}` with the registry's status, `Retry-After` when known) and
 * closes the connection.
 */
export function refuseUpgrade(socket: Duplex, err: unknown): AppError {
  const error = toAppError(err);
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (error.retryAfterMs !== undefined) {
    head.push(`Retry-After: ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))}`);
  }
  if (socket.writable) {
    socket.once("finish", () => socket.destroy());
    socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
  } else {
    socket.destroy();
  }
  return error;
}
