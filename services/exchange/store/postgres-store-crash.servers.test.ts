import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppError } from "../../../shared/errors.js";
import { type OwnedPostgres, startPostgresServer } from "../../../test/support/owned-servers.js";
import { pause, until, untilFound } from "../../../test/support/polling.js";
import { createPostgresStore } from "./postgres-store.js";
import type { Store, TradeRequest } from "./store.js";

/** How long PostgreSQL stays down: as in the kill test under `make dist-up`. */
const outageMs = 8_000;
/** Trading loops: enough that trades on several markets are ready together and commit as a batch. */
const loops = 24;
const markets = ["a", "b", "c", "d", "e", "f"];

interface Call {
  key: string;
  userId: string;
  startedAt: number;
  endedAt?: number;
  error?: unknown;
}

/**
 * PostgreSQL crashes (`pg_ctl stop -m immediate`, every backend dies at once) under steady
 * trading — trades of several markets ready together, so they go as group-committed batches on a
 * reserved connection — stays down for 8 s and comes back. Unpatched, postgres.js killed the
 * process from a timer (`TypeError: Cannot read properties of null (reading 'write')`) or never
 * answered again (docs/architecture.md, "PostgreSQL driver"). Here the process must live, every
 * call must end, those during the outage promptly in `unavailable`, and trades must fill again
 * within 2 s of PostgreSQL's return.
 */
describe("PostgreSQL store when the server crashes under trading", () => {
  let pg: OwnedPostgres;
  let store: Store;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  let running = true;

  before(async () => {
    process.on("uncaughtException", onUncaught);
    pg = await startPostgresServer();
    store = createPostgresStore(pg.url, { maxConnections: 10 });
    await store.migrate();
    for (const id of markets) {
      await store.openMarket({
        id,
        matchId: "crash",
        kind: "1x2",
        title: id,
        outcomes: ["home", "draw", "away"],
        prices: [0.4, 0.3, 0.3],
        liquidity: 1000,
      });
    }
    for (let i = 0; i < loops; i++) await store.ensureUser(`u${i}`, 1_000_000);
  });
  after(async () => {
    running = false;
    process.off("uncaughtException", onUncaught);
    await store?.close();
    await pg?.stop();
  });

  test("the process lives, calls answer unavailable while it is down, and trades fill within 2 s of its return", async () => {
    const calls: Call[] = [];
    const request = (call: Call): TradeRequest => ({
      userId: call.userId,
      marketId: markets[Number(call.key.split("-")[1]) % markets.length]!,
      outcome: "home",
      side: "buy",
      hundredths: 10,
      idempotencyKey: call.key,
    });
    const trading = Array.from({ length: loops }, async (_, loop) => {
      for (let n = 0; running; n++) {
        const call: Call = { key: `${loop}-${n}`, userId: `u${loop}`, startedAt: performance.now() };
        calls.push(call);
        try {
          await store.trade(request(call));
        } catch (err) {
          call.error = err;
          // A refused call comes back at once: pace the retries as a client would.
          await pause(20);
        }
        call.endedAt = performance.now();
      }
    });

    const filled = () => calls.filter((c) => c.endedAt !== undefined && c.error === undefined).length;
    const loopsFilled = (since: number) =>
      new Set(calls.filter((c) => c.startedAt >= since && c.endedAt && !c.error).map((c) => c.userId)).size;
    let downAt = 0;
    let restartAt = 0;
    let upAt = 0;
    let firstFill: Call | undefined;
    try {
      await until(() => filled() >= 200, 20_000, "trades before the crash");
      await pg.crash();
      downAt = performance.now();
      // The outage itself: a fault's duration, not a wait for something to happen.
      await pause(outageMs);
      restartAt = performance.now();
      await pg.restart();
      upAt = performance.now();
      firstFill = await untilFound(
        () => calls.find((c) => c.startedAt >= upAt && c.endedAt !== undefined && c.error === undefined),
        10_000,
        "a trade after PostgreSQL's return",
      ).catch(() => undefined);
      // Every loop trades again: none is stuck on a connection that went silent.
      await until(() => loopsFilled(upAt) === loops, 5_000, "every loop to trade again").catch(
        () => undefined,
      );
    } finally {
      running = false;
    }
    const settled = await Promise.race([
      Promise.all(trading).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 10_000)),
    ]);

    // Calls begun while PostgreSQL was down: each must be answered, promptly; those answered
    // before it was back can only be refusals, and every refusal must be `unavailable`.
    const during = calls.filter((c) => c.startedAt >= downAt && c.startedAt < restartAt);
    const answers = new Map<string, number>();
    for (const c of during.filter((c) => c.endedAt !== undefined && c.endedAt < restartAt)) {
      const answer =
        c.error === undefined ? "filled" : c.error instanceof AppError ? c.error.code : String(c.error);
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    }
    const unanswered = calls.filter((c) => c.endedAt === undefined).length;
    const firstFillMs = firstFill ? Math.round((firstFill.endedAt ?? 0) - upAt) : Number.POSITIVE_INFINITY;
    const longestMs = Math.round(
      Math.max(...during.map((c) => (c.endedAt ?? performance.now()) - c.startedAt)),
    );
    console.log(
      `crash test: ${filled()} trades filled; ${during.length} calls begun during the ${outageMs} ms outage, ` +
        `answered before restart ${JSON.stringify(Object.fromEntries(answers))}, the longest in ${longestMs} ms; ` +
        `PostgreSQL up ${Math.round(upAt - restartAt)} ms after restart began, first fill ${firstFillMs} ms after that; ` +
        `${loopsFilled(upAt)}/${loops} loops trading again; ${unanswered} calls unanswered`,
    );

    assert.deepEqual(uncaught.map(String), [], "no uncaught exception");
    assert.ok(settled && unanswered === 0, "every call ended");
    assert.deepEqual([...answers.keys()], ["unavailable"], "calls during the outage answer unavailable");
    assert.ok((answers.get("unavailable") ?? 0) >= loops, "every loop was answered during the outage");
    assert.ok(longestMs <= 6_000, `a call begun during the outage took ${longestMs} ms`);
    for (const c of calls.filter((c) => c.error !== undefined)) {
      assert.ok(
        c.error instanceof AppError && c.error.code === "unavailable" && c.error.retryable,
        String(c.error),
      );
    }
    assert.ok(firstFillMs <= 2_000, `first fill ${firstFillMs} ms after PostgreSQL's return`);
    assert.equal(loopsFilled(upAt), loops, "every trading loop fills again");

    // Each refused trade may or may not have committed: its retry with the same key settles it.
    for (const c of calls.filter((c) => c.error !== undefined)) await store.trade(request(c));
    assert.deepEqual(await store.checkBooks(), {
      ledgerSumCents: 0,
      accountsOffLedger: 0,
      negativeBalances: 0,
      underfundedMarkets: [],
      positionsOffTrades: 0,
    });
  });
});
