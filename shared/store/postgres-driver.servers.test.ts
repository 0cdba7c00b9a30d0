import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import postgres from "postgres";
import { until } from "../../test/support/polling.js";
import { noDelaySocket } from "./postgres-socket.js";
import { createTempDatabase } from "./temp-database.js";

/**
 * The defects of postgres.js 3.4.x that patches/postgres+3.4.10.patch repairs (docs/architecture.md,
 * "PostgreSQL driver"), each made to happen on purpose: a connection that dies while it is
 * reserved (group commit, postgres-database.ts `pipelined`), in a transaction, or with a query's
 * bytes still waiting to be written. Unpatched, the process dies from a timer (`Cannot read
 * properties of null (reading 'write')`) or the pool never answers again. Only the backends of
 * this suite's own connections are terminated.
 */
describe("postgres.js when a connection dies reserved, in a transaction or with a write buffered", () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  /** Each test's own pool, so that one test's broken pool cannot fail another. */
  let sql: postgres.Sql;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  before(async () => {
    process.on("uncaughtException", onUncaught);
    db = await createTempDatabase();
  });
  beforeEach(() => {
    uncaught.length = 0;
    sql = postgres(db.url, { max: 2, onnotice: () => {}, backoff: () => 0, connect_timeout: 5 });
  });
  afterEach(async () => {
    await sql.end({ timeout: 1 });
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    await db.drop();
  });

  const terminate = (pid: number) => db.admin`SELECT pg_terminate_backend(${pid})`;
  /** The pool answers queries again (each in at most 2 s), and nothing was thrown out of reach. */
  const answers = async (pool = sql) => {
    for (let i = 0; i < 4; i++) {
      const rows = await within(2_000, pool`SELECT ${i}::int AS n`);
      assert.equal(rows[0]?.n, i);
    }
    assert.deepEqual(uncaught.map(String), []);
  };

  test("reserved: queries on it reject, release does nothing, and the pool answers again", async () => {
    const reserved = await sql.reserve();
    const [{ pid }] = (await reserved`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const sleeping = reserved`SELECT pg_sleep(5)`;
    const queued = reserved`SELECT 1`;
    // Either may reject while `terminate` is still awaited, before `assert.rejects` holds it.
    for (const query of [sleeping, queued]) query.catch(() => {});
    await terminate(pid);
    await assert.rejects(within(2_000, sleeping));
    await assert.rejects(within(2_000, queued));
    await assert.rejects(within(2_000, reserved`SELECT 2`), { code: "CONNECTION_CLOSED" });
    // As postgres-database.ts `pipelined` does, whatever the batch's outcome.
    reserved.release();
    await answers();
  });

  test("transaction: the rollback and later queries reject, and the pool answers again", async () => {
    let pid = 0;
    let later: Promise<unknown> | undefined;
    const transaction = sql.begin(async (tx) => {
      pid = ((await tx`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }])[0].pid;
      try {
        await tx`SELECT pg_sleep(5)`;
      } finally {
        // Code that goes on after its connection died (a `finally`, a retry): never sent anywhere.
        later = tx`SELECT 1`;
        later.catch(() => {});
      }
    });
    // It may reject while `terminate` is still awaited, before `assert.rejects` below holds it.
    transaction.catch(() => {});
    await until(() => pid !== 0, 5_000, "the backend's pid");
    await terminate(pid);
    await assert.rejects(within(2_000, transaction));
    await until(() => later !== undefined, 5_000, "the later query's answer");
    await assert.rejects(within(2_000, later!));
    await answers();
  });

  test("pool: a connection that dies with a write still buffered answers its next query", async () => {
    // Its own pool, whose sockets the test can reach: a query's bytes wait for the next turn
    // (postgres.js batches small writes), and the socket dies before that turn comes.
    const sockets: Socket[] = [];
    const own = postgres(db.url, {
      max: 1,
      onnotice: () => {},
      backoff: () => 0,
      connect_timeout: 5,
      ...({
        socket: (target: Parameters<typeof noDelaySocket>[0]) =>
          sockets[sockets.push(noDelaySocket(target)) - 1],
      } as Record<string, unknown>),
    });
    try {
      await own`SELECT 1`;
      // From a timer's callback, as under load: the write is put off to the next loop turn, and
      // the socket's close comes first, in this one.
      const { buffered } = await new Promise<{ buffered: Promise<unknown> }>((resolve) =>
        setImmediate(() => {
          const query = own`SELECT 2`.execute();
          sockets.at(-1)!.destroy();
          resolve({ buffered: query });
        }),
      );
      await assert.rejects(within(2_000, buffered), { code: "CONNECTION_CLOSED" });
      await answers(own);
    } finally {
      await own.end({ timeout: 1 });
    }
  });
});

function within<T>(ms: number, work: PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(work).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]);
}
