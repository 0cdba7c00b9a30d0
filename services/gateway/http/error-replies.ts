import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import fp from "fastify-plugin";
import { AppError, type ErrorCode } from "../../../shared/errors.js";

/** Fastify's own 4xx statuses as protocol codes; any other 4xx is a `bad_request`. */
const codeOfStatus: Record<number, ErrorCode> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "too_large",
  429: "rate_limited",
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

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterMs !== undefined) {
    reply.header("retry-after", String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
}

async function errorRepliesPlugin(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const error = toHttpError(err);
    if (error.code === "internal") request.log.error({ err }, "request failed");
    else request.log.info({ code: error.code, message: error.message }, "request refused");
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new AppError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}

export default fp(errorRepliesPlugin, { name: "gateway-error-replies", fastify: "5.x" });
