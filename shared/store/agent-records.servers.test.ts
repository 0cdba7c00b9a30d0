import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import type { AgentRecordStore } from "./agent-records.js";
import {
  type AgentRecordDatabase,
  agentRecordsOn,
  createPostgresAgentRecords,
} from "./agent-records-database.js";
import { pgliteDatabase } from "./pglite-database.js";
import { createTempDatabase } from "./temp-database.js";

/** The agent records' contract (agent-records.ts), on both adapters. */
function agentRecordsSuite(
  name: string,
  open: () => Promise<{ store: AgentRecordDatabase; close(): Promise<void> }>,
) {
  describe(`agent records on ${name}`, () => {
    let store: AgentRecordStore;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await open();
      await opened.store.migrate();
      store = opened.store;
      close = opened.close;
    });
    after(() => close());

    test("the journal keeps one entry per trade: the first rationale wins", async () => {
      const entry = {
        userId: "j1",
        tradeId: "41",
        marketId: "m.1x2",
        outcome: "home",
        side: "buy" as const,
        hundredths: 1000,
        cents: 583,
        rationale: "first",
      };
      const first = await store.recordJournal(entry);
      const again = await store.recordJournal({ ...entry, rationale: "second" });
      assert.equal(first.replayed, undefined);
      assert.deepEqual([again.replayed, again.rationale, again.entryId], [true, "first", first.entryId]);
      await store.recordJournal({ ...entry, tradeId: "42", rationale: "later" });
      assert.deepEqual(
        (await store.journal("j1", 10)).map((e) => e.rationale),
        ["later", "first"],
      );
      assert.deepEqual(await store.journal("someone-else", 10), []);
    });

    test("a trade intent: the first decision for a key wins", async () => {
      const intent = {
        userId: "i1",
        key: "r:c",
        marketId: "m.1x2",
        outcome: "home",
        side: "buy" as const,
        hundredths: 500,
      };
      assert.equal(await store.tradeIntent("i1", "r:c"), undefined);
      assert.deepEqual(await store.claimTradeIntent({ ...intent, maxCostCents: 300 }), {
        intent: { ...intent, maxCostCents: 300 },
        existing: false,
      });
      const second = await store.claimTradeIntent({ ...intent, hundredths: 900 });
      assert.deepEqual(second, { intent: { ...intent, maxCostCents: 300 }, existing: true });
      assert.deepEqual(await store.tradeIntent("i1", "r:c"), { ...intent, maxCostCents: 300 });
    });

    test("a price alert fires once, even for concurrent price events; a score alert until full time", async () => {
      const above = await store.createAlert(
        {
          kind: "price",
          userId: "a1",
          marketId: "m.1x2",
          outcome: "home",
          direction: "above",
          levelBp: 6000,
        },
        10,
      );
      await store.createAlert(
        {
          kind: "price",
          userId: "a2",
          marketId: "m.1x2",
          outcome: "away",
          direction: "below",
          levelBp: 1500,
        },
        10,
      );
      assert.deepEqual(await store.firePriceAlerts("m.1x2", { home: 0.59, away: 0.2 }), []);
      const fired = await Promise.all(
        [1, 2, 3].map(() => store.firePriceAlerts("m.1x2", { home: 0.61, away: 0.14 })),
      );
      assert.deepEqual(
        fired
          .flat()
          .map((a) => a.userId)
          .sort(),
        ["a1", "a2"],
      );
      assert.ok(fired.flat().some((a) => a.alertId === above.alertId));
      assert.deepEqual(await store.alerts("a1"), []);

      const score = await store.createAlert({ kind: "score", userId: "a3", matchId: "match-1" }, 10);
      assert.deepEqual(
        (await store.fireScoreAlerts("match-1", false)).map((a) => a.alertId),
        [score.alertId],
      );
      assert.deepEqual(
        (await store.fireScoreAlerts("match-1", true)).map((a) => a.alertId),
        [score.alertId],
      );
      assert.deepEqual(await store.fireScoreAlerts("match-1", false), []);
    });

    test("alerts are capped per user and deleted only by their owner", async () => {
      const mine = await store.createAlert({ kind: "score", userId: "c1", matchId: "m" }, 2);
      await store.createAlert({ kind: "score", userId: "c1", matchId: "m" }, 2);
      await assert.rejects(store.createAlert({ kind: "score", userId: "c1", matchId: "m" }, 2), {
        code: "bad_request",
      });
      assert.equal(await store.deleteAlert("c2", mine.alertId), false);
      assert.equal(await store.deleteAlert("c1", "not-a-number"), false);
      assert.equal(await store.deleteAlert("c1", mine.alertId), true);
      assert.equal((await store.alerts("c1")).length, 1);
    });
  });
}

agentRecordsSuite("PGlite", async () => {
  const store = agentRecordsOn(pgliteDatabase(new PGlite()));
  return { store, close: () => store.close() };
});

agentRecordsSuite("PostgreSQL", async () => {
  const database = await createTempDatabase();
  const store = createPostgresAgentRecords(database.url, { maxConnections: 2 });
  return {
    store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
});
