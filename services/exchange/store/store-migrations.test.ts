import assert from "node:assert/strict";
import { test } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { agentRecordsOn } from "../../../shared/store/agent-records-database.js";
import { pgliteDatabase } from "../../../shared/store/pglite-database.js";
import { buildSqlStore } from "./sql-store.js";

/**
 * The ledger's migrations and the agents' records' live in two folders but are one numbered
 * sequence on one database: whichever service starts first, every table ends up there once.
 */
test("the exchange starting first applies the agents' migrations too, in version order", async () => {
  const pg = new PGlite();
  const store = buildSqlStore(pgliteDatabase(pg));
  const records = agentRecordsOn(pgliteDatabase(pg));
  try {
    assert.deepEqual(await store.migrate(), [
      "001_ledger",
      "002_markets",
      "003_agent_records",
      "004_trade_refusals",
    ]);
    assert.deepEqual(await records.migrate(), []);
  } finally {
    await pg.close();
  }
});

test("a worker starting first applies only the agents' migrations; the exchange then adds the ledger's", async () => {
  const pg = new PGlite();
  const store = buildSqlStore(pgliteDatabase(pg));
  const records = agentRecordsOn(pgliteDatabase(pg));
  try {
    assert.deepEqual(await records.migrate(), ["003_agent_records"]);
    const alert = await records.createAlert(
      { userId: "u1", kind: "price", marketId: "m1", outcome: "home", direction: "above", levelBp: 6000 },
      10,
    );
    assert.deepEqual(await store.migrate(), ["001_ledger", "002_markets", "004_trade_refusals"]);
    assert.deepEqual(
      (await records.alerts("u1")).map((a) => a.alertId),
      [alert.alertId],
      "the alert written before the ledger existed is kept",
    );
  } finally {
    await pg.close();
  }
});
