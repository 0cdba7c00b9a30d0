import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from "fastify";
import fp from "fastify-plugin";
import { AppError, type ErrorCode } from "../../../shared/errors.js";
import { apiHeaders } from "./browser-policy.js";

/**
 * Fastify's and Node's own 4xx statuses as protocol codes; any other 4xx is a `bad_request`.
 * The answer then carries the code's status from the registry (docs/protocol.md "Validation"):
 * a URL or headers over the server's limits (414, 431) are `too_large` (413), and an unknown
 * method on a known path is `not_found` (404), as Fastify itself answers it.
 */
const codeOfStatus: Record<number, ErrorCode> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "not_found",
  413: "too_large",
  414: "too_large",
  429: "rate_limited",
  431: "too_large",
};

/**
 * Every HTTP error leaves as `{"error":{"code","message"}}` with the registry's status: our
 * `AppError`s, Fastify's validation and parser errors, and unknown routes alike. Client mistakes
 * are logged at info, our own faults at error.
 */
export function toHttpError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fastifyError = err as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    return new AppError("bad_request", fastifyError.message ?? "invalid request");
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new AppError(codeOfStatus[status] ?? "bad_request", fastifyError.message ?? "bad request");
  }
  return new AppError("internal", "internal error", { cause: err });
}

/** The protocol code of each error reply sent (read by the metrics plugin for `errors_total`). */
const sentCodes = new WeakMap<FastifyReply, ErrorCode>();

/** The code of the error `reply` answered with, if it was one sent by `sendError`. */
export function errorCodeOf(reply: FastifyReply): ErrorCode | undefined {
  return sentCodes.get(reply);
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  sentCodes.set(reply, error.code);
  if (error.retryAfterMs !== undefined) {
    reply.header("retry-after", String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
}

/** The errors Fastify's router raises before any route or hook runs. */
function frameworkError(err: FastifyError): AppError {
  switch (err.code) {
    case "FST_ERR_BAD_URL":
      return new AppError("bad_request", "the URL is not valid: a percent-escape does not decode");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new AppError("too_large", "a path segment of the URL is too long");
    default:
      return toHttpError(err);
  }
}

/**
 * A request Node's HTTP parser refused (no request object exists): headers or URL over
 * `maxHeaderSize`, a malformed request line or header (a NUL or other control character in a
 * header value), a client too slow to send its headers.
 */
function clientError(err: NodeJS.ErrnoException): AppError {
  if (err.code === "HPE_HEADER_OVERFLOW") {
    return new AppError("too_large", "the request line and headers exceed the server's limit");
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return new AppError("bad_request", "the request was not received in time");
  }
  return new AppError("bad_request", "the request is not valid HTTP/1.1");
}

/**
 * Fastify server options that give errors raised outside any route the protocol's shape:
 * `frameworkErrors` for the router's (bad URL, over-long parameter) and `clientErrorHandler`
 * for the HTTP parser's, which reach only the socket: the answer is written there by hand and
 * the connection closed, as Node's own handler does.
 */
export const errorReplyOptions = {
  frameworkErrors(err, request, reply) {
    const error = frameworkError(err);
    request.log.info({ code: error.code, message: error.message }, "request refused");
    // No hook runs for these, so not browser-policy.ts's either: its `/api` headers are set here.
    reply.headers(apiHeaders);
    sendError(reply, error);
  },
  clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket) {
    // A reset or already closed connection has no one to answer.
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const error = clientError(err);
    this.log.info({ code: error.code, parserError: err.code }, "request refused by the HTTP parser");
    // Only when no response of an earlier request on this connection is half written.
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || pending?.headersSent === true) {
      socket.destroy(err);
      return;
    }
    const body = JSON.stringify({ error: { code: error.code, message: error.message } });
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\n" +
        "Cache-Control: no-store\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
    );
  },
} satisfies Pick<FastifyServerOptions, "frameworkErrors" | "clientErrorHandler">;

async function errorRepliesPlugin(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const error = toHttpError(err);
    if (error.code === "internal") request.log.error({ err }, "request failed");
    else request.log.info({ code: error.code, message: error.message }, "request refused");
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError("not_found", `no route ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}`),
    ),
  );
}

export default fp(errorRepliesPlugin, { name: "gateway-error-replies", fastify: "5.x" });
