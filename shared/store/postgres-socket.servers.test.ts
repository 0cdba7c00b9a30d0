import assert from "node:assert/strict";
import { Socket } from "node:net";
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

test("every connection the pool opens has Nagle's algorithm off", async (t) => {
  const noDelay: boolean[] = [];
  const original = Socket.prototype.setNoDelay;
  t.mock.method(Socket.prototype, "setNoDelay", function (this: Socket, on?: boolean) {
    noDelay.push(on ?? true);
    return original.call(this, on);
  });
  const sql = postgres(adminUrl, { max: 3, onnotice: () => {}, ...noDelayConnections });
  try {
    // Three queries at once on a pool of three: three connections.
    await Promise.all([sql`select pg_sleep(0.05)`, sql`select pg_sleep(0.05)`, sql`select pg_sleep(0.05)`]);
    assert.deepEqual(noDelay, [true, true, true]);
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
