import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { createPostgresStore } from "./postgres-store.js";
import { storeContract } from "./store.contract.js";
import { createTempDatabase } from "./temp-database.js";

storeContract("PostgreSQL", async () => {
  const db = await createTempDatabase();
  const store = createPostgresStore(db.url);
  return {
    store,
    async dispose() {
      await store.close();
      await db.drop();
    },
  };
});

describe("PostgreSQL ledger", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let sql: postgres.Sql;
  before(async () => {
    db = await createTempDatabase();
    const store = createPostgresStore(db.url);
    await store.migrate();
    await store.ensureUser("alice", 1000);
    await store.close();
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql.end();
    await db.drop();
  });

  test("ledger entries can be neither changed nor deleted", async () => {
    await assert.rejects(sql`UPDATE ledger_entries SET amount_cents = 1`, /append-only/);
    await assert.rejects(sql`DELETE FROM ledger_entries`, /append-only/);
    await assert.rejects(sql`TRUNCATE ledger_entries`, /append-only/);
    assert.equal((await sql`SELECT count(*)::int AS n FROM ledger_entries`)[0]?.n, 2);
  });

  test("a user balance can never go below zero", async () => {
    await assert.rejects(
      sql`UPDATE accounts SET balance_cents = -1 WHERE id = 'user:alice'`,
      /balance_not_negative/,
    );
  });
});
