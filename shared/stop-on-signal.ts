import type { Logger } from "./logger.js";

/**
 * A service's graceful stop: on the first SIGTERM or SIGINT, `stop` runs once (drain, then close
 * connections in order), and the process exits 0 — or 1 when stopping failed. Signals that
 * arrive while it stops are ignored, so an impatient second Ctrl-C cannot cut a drain short.
 */
export function stopOnSignal(logger: Pick<Logger, "info" | "error">, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    try {
      await stop();
      logger.info("stopped");
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "stop failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", (signal) => void onSignal(signal));
  process.on("SIGINT", (signal) => void onSignal(signal));
}
