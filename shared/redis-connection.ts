import { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import { problemOf } from "./until-available.js";

/** A change of a Redis connection's state, as data for the service's log. */
export type RedisEvent =
  /** The first failure since the connection was last usable (at start: since it was made). */
  | { type: "down"; problem: string }
  /** Usable again after being down. */
  | { type: "up"; downMs: number };

/** Longest wait between two connection attempts while Redis is away. */
const maxReconnectDelayMs = 1_000;

/**
 * Connects to Redis the way every service must (docs/architecture.md, "Failure and overload, by
 * design"): reconnecting forever, at most a second apart, so Redis serves again within about a
 * second of its return; commands fail at once while it is away (no offline queue, one retry of a
 * command cut off by a disconnect), so limits and caches take their documented fallback instead
 * of waiting; and its `error` events are listened to — without a listener each reconnect attempt
 * would print to stderr — and told as data, once per outage (`onEvent`).
 *
 * `usable()` says whether commands can be sent now (the fallbacks ask it before trying).
 */
export function connectRedis(
  url: string,
  options: { onEvent?: (event: RedisEvent) => void } = {},
): { redis: Redis; usable: () => boolean } {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempts) => Math.min(100 * attempts, maxReconnectDelayMs),
  });
  let downSince: number | undefined = Date.now();
  let reported = false;
  redis.on("error", (err: unknown) => {
    downSince ??= Date.now();
    if (reported) return;
    reported = true;
    options.onEvent?.({ type: "down", problem: problemOf(err) });
  });
  redis.on("close", () => {
    downSince ??= Date.now();
  });
  redis.on("ready", () => {
    if (reported) options.onEvent?.({ type: "up", downMs: Date.now() - (downSince ?? Date.now()) });
    downSince = undefined;
    reported = false;
  });
  return { redis, usable: () => redis.status === "ready" };
}

/** The service's words for `RedisEvent`s: one line when Redis goes, naming the problem; one when it is back. */
export function logRedisEvents(logger: Pick<Logger, "error" | "info">): (event: RedisEvent) => void {
  return (event) => {
    if (event.type === "down") {
      logger.error(
        { dependency: "redis", problem: event.problem },
        `redis unavailable: ${event.problem}; reconnecting`,
      );
    } else {
      logger.info({ dependency: "redis", downMs: event.downMs }, "redis available");
    }
  };
}
