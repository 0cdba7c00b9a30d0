import type { RateLimitPluginOptions } from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import type { Config } from "../../../shared/config.js";
import { AppError } from "../../../shared/errors.js";

/**
 * Options of `@fastify/rate-limit` for every HTTP route: a coarse guard against request floods,
 * well above what the protocol's own limits (trades, agent runs) allow, counted per user on
 * authenticated routes and per IP address elsewhere, in fixed one-minute windows. The check runs
 * at `preHandler`, after a route's `authenticate`, so a user is known; a request with a bad token
 * was already refused (401) more cheaply than counting it. With `redis` every gateway counts in
 * one place; when that Redis cannot be reached requests pass (reads must keep working, and trades
 * and agent runs fail closed on their own limiters). Over the limit: 429 `rate_limited` in the
 * protocol's error body, with `Retry-After`.
 */
export function httpRateLimitOptions(
  config: Pick<Config, "httpRequestsPerMinuteUser" | "httpRequestsPerMinuteIp" | "streamPrefix">,
  redis?: Redis,
): RateLimitPluginOptions {
  return {
    hook: "preHandler",
    timeWindow: 60_000,
    keyGenerator: (request) => (request.claims === null ? `ip:${request.ip}` : `user:${request.claims.sub}`),
    max: async (_request, key) =>
      key.startsWith("user:") ? config.httpRequestsPerMinuteUser : config.httpRequestsPerMinuteIp,
    skipOnError: true,
    ...(redis === undefined ? {} : { redis, nameSpace: `${config.streamPrefix}http-rate:` }),
    errorResponseBuilder: (_request, context) =>
      new AppError("rate_limited", `at most ${context.max} requests per minute; slow down`, {
        retryAfterMs: context.ttl,
      }),
  };
}
