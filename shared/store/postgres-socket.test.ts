import assert from "node:assert/strict";
import { test } from "node:test";
import postgres from "postgres";
import { noDelayConnections } from "./postgres-socket.js";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

test("connections through the no-delay socket answer queries, pipelined ones included", async () => {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, ...noDelayConnections });
  try {
    // Twenty at once on one connection: postgres.js pipelines them on the socket.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => sql`select ${i}::int as n`));
    assert.deepEqual(
      answers.map((rows) => rows[0]!.n),
      Array.from({ length: 20 }, (_, i) => i),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test("a server that is not there fails the query with a connection error, not a hang", async () => {
  const sql = postgres("postgres://postgres@127.0.0.1:1/postgres", {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
    ...noDelayConnections,
  });
  try {
    await assert.rejects(sql`select 1`, (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED");
  } finally {
    await sql.end({ timeout: 1 });
  }
});
