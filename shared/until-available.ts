import { AppError } from "./errors.js";
import type { Logger } from "./logger.js";

/** A dependency a service needs before it can serve. */
export type Dependency = "postgres" | "nats" | "redis";

/** What a service hears while it waits for a dependency at start, as data for its log. */
export type WaitEvent =
  /** The first failure, and any later one whose problem differs: one log line each. */
  | { type: "waiting"; dependency: Dependency; problem: string; attempt: number; retryInMs: number }
  /** It answered after `attempts` tries over `waitedMs`. */
  | { type: "available"; dependency: Dependency; attempts: number; waitedMs: number };

export interface UntilAvailableOptions {
  onEvent(event: WaitEvent): void;
  /** Which failures mean "not there yet" (default: `AppError("unavailable")`); others are thrown. */
  isUnavailable?: (err: unknown) => boolean;
  /** First wait; doubled after each failure up to `maxDelayMs` (default 250 ms → 5 s), jittered. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Start-up with a dependency missing (docs/architecture.md, "Failure and overload, by design"):
 * runs `attempt` until it succeeds, waiting with a growing, jittered delay between tries, so a
 * service started before its database, NATS or Redis — or against a database not yet created —
 * waits for it instead of exiting with a stack trace. The service logs one line per distinct
 * problem (`onEvent`), not one per try. Failures that are not unavailability (a bug, a refused
 * migration) are thrown at once: waiting would not mend them.
 */
export async function untilAvailable<T>(
  dependency: Dependency,
  attempt: () => Promise<T>,
  options: UntilAvailableOptions,
): Promise<T> {
  const isUnavailable =
    options.isUnavailable ?? ((err) => err instanceof AppError && err.code === "unavailable");
  const minDelayMs = options.minDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const startedAt = Date.now();
  let lastProblem: string | undefined;
  for (let tries = 1; ; tries++) {
    try {
      const value = await attempt();
      if (tries > 1) {
        options.onEvent({ type: "available", dependency, attempts: tries, waitedMs: Date.now() - startedAt });
      }
      return value;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      const delay = Math.min(maxDelayMs, minDelayMs * 2 ** (tries - 1));
      const retryInMs = Math.round(delay * (0.75 + Math.random() / 2));
      const problem = problemOf(err);
      if (problem !== lastProblem) {
        options.onEvent({ type: "waiting", dependency, problem, attempt: tries, retryInMs });
        lastProblem = problem;
      }
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

/**
 * The most specific words of a failure: the innermost cause's message (`database "x" does not
 * exist`, `connect ECONNREFUSED 127.0.0.1:5432`), with its code when the message lacks it.
 */
export function problemOf(err: unknown): string {
  let inner: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (inner as { cause?: unknown })?.cause;
    if (cause === undefined || cause === null) break;
    inner = cause;
  }
  if (inner instanceof AggregateError && inner.errors.length > 0) inner = inner.errors[0];
  const message = inner instanceof Error ? inner.message : String(inner);
  const code = (inner as { code?: unknown })?.code;
  return typeof code === "string" && code.length > 0 && !message.includes(code)
    ? `${message} (${code})`
    : message;
}

/**
 * The service's words for `WaitEvent`s and `RedisEvent`-like changes: one line naming the
 * dependency and the problem when it is missing (no stack: the problem is not in our code), one
 * when it answers.
 */
export function logWaits(logger: Pick<Logger, "error" | "info">): (event: WaitEvent) => void {
  return (event) => {
    if (event.type === "waiting") {
      logger.error(
        { dependency: event.dependency, problem: event.problem, retryInMs: event.retryInMs },
        `${event.dependency} unavailable: ${event.problem}; retrying until it answers`,
      );
    } else {
      logger.info(
        { dependency: event.dependency, attempts: event.attempts, waitedMs: event.waitedMs },
        `${event.dependency} available`,
      );
    }
  };
}
