import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { AppError } from "../errors.js";
import { redisCommand } from "../telemetry/attributes.js";
import { SpanKind, traced, tracingOn } from "../telemetry/spans.js";

/** Lua that sets `now` to Redis's clock in ms, so gateways with skewed clocks agree. */
export const redisClock = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * A Lua script run atomically on Redis: by its SHA1 (`EVALSHA`), sending the source again only
 * when the server does not have it (first use, or after a restart or `SCRIPT FLUSH`). Redis
 * failures reject as `AppError("unavailable")`. Each run is a CLIENT span when tracing is on
 * (docs/architecture.md "Tracing": Redis calls are wrapped where they are made, not instrumented).
 */
export function redisScript(
  source: string,
): (redis: Redis, keys: string[], args: (string | number)[]) => Promise<unknown> {
  const sha = createHash("sha1").update(source).digest("hex");
  return (redis, keys, args) =>
    tracingOn()
      ? traced("EVALSHA", { kind: SpanKind.CLIENT, attributes: redisCommand("EVALSHA") }, () =>
          run(redis, keys, args),
        )
      : run(redis, keys, args);
  async function run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
        return await redis.eval(source, keys.length, ...keys, ...args);
      }
    } catch (err) {
      throw redisUnavailable(err);
    }
  }
}

/** Any Redis failure as the protocol's retryable `unavailable`, keeping the cause for logs. */
export function redisUnavailable(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("unavailable", "limits and cache store unreachable", { cause: err });
}
