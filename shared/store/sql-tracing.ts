import { sqlStatement } from "../telemetry/attributes.js";
import { activeContext, inContext, insideSpan, SpanKind, traced, tracingOn } from "../telemetry/spans.js";
import type { SqlReader } from "./replica-reads.js";
import type { SqlDatabase, SqlRunner } from "./sql.js";

/**
 * `db` with a CLIENT span per statement, script and transaction (docs/architecture.md "Tracing"):
 * neither postgres.js nor PGlite has an OpenTelemetry instrumentation, so the store's one query
 * path is wrapped here. Statement text is recorded, parameters never. `db` itself when tracing is
 * off. `pipelined` passes through: its one caller (trade-batches.ts) makes the batch's span, which
 * only it can link to every trade of the batch. A statement outside any span (start-up's market
 * opening, migrations, timers) starts no trace of its own: thousands of one-span root traces at
 * every exchange start would bury the users' traces and belong to no user action.
 */
export function traceSql(db: SqlDatabase): SqlDatabase {
  if (!tracingOn()) return db;
  const wrapped: SqlDatabase = {
    ...tracedRunner(db),
    transaction: <T>(work: (tx: SqlRunner) => Promise<T>) =>
      !insideSpan()
        ? db.transaction(work)
        : traced(
            "postgresql transaction",
            { kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql" } },
            () => {
              // The driver may call `work` from its socket's callback: its statements still belong here.
              const ctx = activeContext();
              return db.transaction((tx) => inContext(ctx, () => work(tracedRunner(tx))));
            },
          ),
    close: () => db.close(),
  };
  if (db.pipelined !== undefined) wrapped.pipelined = db.pipelined.bind(db);
  return wrapped;
}

/** `reader` (a replica's read-only pool) with a CLIENT span per statement, as `traceSql` does. */
export function traceSqlReads(reader: SqlReader): SqlReader {
  return tracingOn() ? { query: tracedQuery(reader) } : reader;
}

function tracedQuery(runner: SqlReader): SqlReader["query"] {
  return <Row>(text: string, params?: readonly unknown[]) => {
    if (!insideSpan()) return runner.query<Row>(text, params);
    const attributes = sqlStatement("postgresql", text);
    return traced(String(attributes["db.operation.name"]), { kind: SpanKind.CLIENT, attributes }, () =>
      runner.query<Row>(text, params),
    );
  };
}

function tracedRunner(runner: SqlRunner): SqlRunner {
  return {
    query: tracedQuery(runner),
    exec: (script: string) =>
      !insideSpan()
        ? runner.exec(script)
        : traced(
            "postgresql script",
            { kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql" } },
            () => runner.exec(script),
          ),
  };
}
