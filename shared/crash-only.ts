import type { Logger } from "./logger.js";

/**
 * Crash-only: an exception that nothing caught (`uncaughtException`) or a rejection that nothing
 * handled (`unhandledRejection`) means the process's state is no longer known, so it logs one
 * line — level fatal, with the error — and exits 1, for its supervisor (the local deployment's
 * `supervise.sh`, Kubernetes) to start it again (docs/architecture.md, "Failure and overload, by
 * design"). Limping on would leave a process up but wrong, which is harder to see than one that
 * restarts. Each service's `main.ts` installs it first thing.
 *
 * The fatal line goes out after every line logged before it, and the process exits once it is
 * written. The logger writes asynchronously (shared/logger.ts) and pino's `fatal` flushes
 * synchronously, which can overtake a write still under way in libuv's pool and put the fatal
 * line first (seen in CI); so it waits for the destination to drain, logs, waits again, and exits
 * — or exits after a second if the destination never drains. Further unexpected errors in that
 * window are ignored: the first one is the cause.
 */
export function exitOnUnexpectedError(logger: Pick<Logger, "fatal" | "flush">): void {
  let exiting = false;
  const exit = () => process.exit(1);
  const die = (kind: string) => (err: unknown) => {
    if (exiting) return;
    exiting = true;
    setTimeout(exit, 1000);
    logger.flush(() => {
      try {
        logger.fatal({ err }, `${kind}: exiting`);
        logger.flush(exit);
      } catch {
        exit();
      }
    });
  };
  process.on("uncaughtException", die("uncaught exception"));
  process.on("unhandledRejection", die("unhandled rejection"));
}
