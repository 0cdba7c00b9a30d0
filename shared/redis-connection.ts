import type { Socket } from "node:net";
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import { corkForTurn } from "./net/turn-corking.js";
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
 * of waiting; commands of one event-loop turn are written together; and its `error` events are
 * listened to — without a listener each reconnect attempt would print to stderr — and told as
 * data, once per outage (`onEvent`).
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
  // Commands sent in one turn of the event loop go out in one write: without it each limit
  // check is a syscall of its own (under load a gateway spent a fifth of its CPU in them) and
  // one wakeup of redis-server. Corking the socket for the turn (net/turn-corking.ts) does it
  // without ioredis's auto-pipelining, whose pipeline per command cost 10–17 % more CPU per trade
  // where commands seldom share a turn (loadtest/README.md, the hot market). ioredis writes
  // every command through its socket's `write`; each new socket (a reconnect) is wrapped.
  redis.on("connect", () => corkEachWrite((redis as unknown as { stream: Socket }).stream));
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

/** Holds each of `socket`'s writes until the end of the event-loop turn it was made in. */
function corkEachWrite(socket: Socket): void {
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
    corkForTurn(this);
    return write.apply(this, args);
  } as Socket["write"];
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
