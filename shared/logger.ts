import { type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** The process's root logger; services derive a child per connection or run. JSON to stdout. */
export function createLogger(
  config: Pick<Config, "logLevel">,
  bindings: Record<string, unknown> = {},
): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid, ...bindings } });
}
