import type { Logger } from "./logger.js";

/**
 * Crash-only: an exception that nothing caught (`uncaughtException`) or a rejection that nothing
 * handled (`unhandledRejection`) means the process's state is no longer known, so it logs one
 * line — level fatal, with the error — and exits 1, for its supervisor (the local deployment's
 * `supervise.sh`, Kubernetes) to start it again (docs/architecture.md, "Failure and overload, by
 * design"). Limping on would leave a process up but wrong, which is harder to see than one that
 * restarts. Each service's `main.ts` installs it first thing.
 *
 * The line goes out synchronously (`flush`), as pino's own exit handler would, before `exit`.
 */
export function exitOnUnexpectedError(logger: Pick<Logger, "fatal" | "flush">): void {
  let exiting = false;
  const die = (kind: string) => (err: unknown) => {
    if (exiting) return;
    exiting = true;
    try {
      logger.fatal({ err }, `${kind}: exiting`);
      logger.flush();
    } finally {
      process.exit(1);
    }
  };
  process.on("uncaughtException", die("uncaught exception"));
  process.on("unhandledRejection", die("unhandled rejection"));
}
