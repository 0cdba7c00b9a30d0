import { type Logger, pino } from "pino";
import type { Config } from "./config.js";
import { traceIds } from "./telemetry/spans.js";

export type { Logger };

/**
 * The process's root logger; services derive a child per connection or run. JSON to stdout,
 * written asynchronously: lines logged while a write is under way go out together in the next one
 * (a line per agent run was a system call per run on the event loop), and pino writes what is
 * left synchronously when the process exits. A line logged inside a span carries its `trace_id`
 * and `span_id` (docs/architecture.md "Tracing").
 */
export function createLogger(
  config: Pick<Config, "logLevel">,
  bindings: Record<string, unknown> = {},
): Logger {
  return pino(
    { level: config.logLevel, base: { pid: process.pid, ...bindings }, mixin: traceIds },
    // minLength 1 writes each line at once, as 0 would, but makes `flush(cb)` wait for writes in
    // flight (with 0 it calls back at once), which crash-only's last line depends on.
    pino.destination({ dest: 1, sync: false, minLength: 1 }),
  );
}
