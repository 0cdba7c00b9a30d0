import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { createTempDatabase } from "../../../shared/store/temp-database.js";
import { traced } from "../../../shared/telemetry/spans.js";
import { startTracing, type Tracing } from "../../../shared/telemetry/tracing.js";
import { createPostgresStore } from "./postgres-store.js";
import type { Store } from "./store.js";

/**
 * The store's spans (shared/store/sql-tracing.ts, trade/trade-batches.ts) on a real PostgreSQL: a span per statement
 * under the span that asked for it, and a group-committed batch as one span under the trade that
 * opened it, linked to the others.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let db: Awaited<ReturnType<typeof createTempDatabase>>;
let store: Store;
const markets = ["trace-m0", "trace-m1", "trace-m2"];

before(async () => {
  tracing = startTracing({ service: "exchange", env: {}, exporter });
  db = await createTempDatabase();
  store = createPostgresStore(db.url);
  await store.migrate();
  for (const id of markets) {
    await store.openMarket({
      id,
      matchId: `${id}-match`,
      kind: "1x2",
      title: "A v B",
      outcomes: ["home", "draw", "away"],
      prices: [0.5, 0.3, 0.2],
      liquidity: 100,
    });
  }
});

after(async () => {
  await store?.close();
  await db?.drop();
  await tracing?.shutdown();
});

const spanNamed = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)!;
const isChild = (child: ReadableSpan, parent: ReadableSpan) =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId;

test("each statement is a client span under the span that ran it, with its text and never its parameters", async () => {
  exporter.reset();
  await traced("read", {}, () => store.balance("nobody-yet"));
  const read = spanNamed("read");
  const statements = exporter.getFinishedSpans().filter((s) => isChild(s, read));
  assert.ok(statements.length >= 1, "the read ran at least one statement under its span");
  for (const s of statements) {
    assert.equal(s.attributes["db.system.name"], "postgresql");
    assert.match(String(s.attributes["db.query.text"]), /^\s*SELECT/i);
    assert.equal(s.name, "SELECT");
    assert.ok(!String(s.attributes["db.query.text"]).includes("nobody-yet"), "no parameter recorded");
  }
});

test("a statement outside any span starts no trace of its own (start-up, migrations, timers)", async () => {
  exporter.reset();
  await store.balance("nobody-yet");
  await store.migrate();
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    [],
  );
});

test("trades committed together are one batch span: the first trade's child, linked to the others", async () => {
  const users = ["trace-u0", "trace-u1", "trace-u2"];
  for (const u of users) await store.ensureUser(u, 100_000);
  // Each market's first trade reads it; the ones after are written at once, so they can batch.
  for (const m of markets)
    await store.trade({ userId: users[0]!, marketId: m, outcome: "home", side: "buy", hundredths: 100 });
  exporter.reset();
  await Promise.all(
    markets.map((m, i) =>
      traced(`trade ${i}`, {}, () =>
        store.trade({ userId: users[i]!, marketId: m, outcome: "home", side: "buy", hundredths: 100 }),
      ),
    ),
  );
  const batches = exporter.getFinishedSpans().filter((s) => s.name === "postgresql trade batch");
  assert.equal(batches.length, 1, "one batch for the three trades");
  const [batch] = batches;
  const trades = markets.map((_, i) => spanNamed(`trade ${i}`));
  const parent = trades.find((t) => isChild(batch!, t));
  assert.ok(parent, "the batch is the child of one of its trades");
  const others = trades.filter((t) => t !== parent).map((t) => t.spanContext().spanId);
  assert.deepEqual(
    batch!.links.map((l) => l.context.spanId).sort(),
    others.sort(),
    "linked to the other trades",
  );
  assert.equal(batch!.attributes["db.operation.batch.size"], 5, "two locks and three trades");
});
