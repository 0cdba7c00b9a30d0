import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";

// `make dist-up` creates the database DATABASE_URL names (infra/local/ensure-database.sh) on the
// server, port and as the user of that URL, whatever the name is. Needs PostgreSQL on
// 127.0.0.1:5432 with trust auth for user postgres (README "Services for the tests").

const script = fileURLToPath(new URL("../../infra/local/ensure-database.sh", import.meta.url));
const admin = postgres("postgres://postgres@127.0.0.1:5432/postgres", { max: 1, onnotice: () => {} });
// Upper case, a hyphen, a semicolon and a quote: a name that only works quoted. (The services'
// driver does not percent-decode the URL's database, so neither does the script: the name is
// written as it is, with characters a URL path keeps.)
const name = `ensure-DB;${randomBytes(3).toString("hex")};it's`;

after(async () => {
  // The last two only exist if the script connected where it should not have.
  for (const db of [name, "epl_nowhere", "epl_nobody"]) {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${db.replaceAll('"', '""')}"`);
  }
  await admin.end();
});

function ensure(url: string) {
  return promisify(execFile)("bash", [script], { env: { ...process.env, DATABASE_URL: url } });
}

async function exists(db: string): Promise<boolean> {
  const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${db}`;
  return rows.length === 1;
}

/** A port nothing listens on: taken from the kernel, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("creates the database the URL names, quoted, and leaves it as it is when it exists", async () => {
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  await ensure(url);
  assert.ok(await exists(name), `no database ${name}`);
  const db = postgres(url, { max: 1 });
  await db`CREATE TABLE kept (x int)`;
  await db.end();
  await ensure(url);
  const again = postgres(url, { max: 1 });
  assert.equal((await again`SELECT count(*)::int AS n FROM kept`)[0]?.n, 0, "the existing database is kept");
  await again.end();
});

test("connects to the URL's port, not the default one", async () => {
  const port = await closedPort();
  await assert.rejects(
    ensure(`postgres://postgres@127.0.0.1:${port}/epl_nowhere`),
    (err: { stderr: string }) => {
      assert.match(err.stderr, new RegExp(`port ${port} failed`));
      return true;
    },
  );
});

test("connects as the URL's user, not as postgres", async () => {
  await assert.rejects(
    ensure("postgres://no_such_role_ensure_db@127.0.0.1:5432/epl_nobody"),
    (err: { stderr: string }) => {
      assert.match(err.stderr, /role "no_such_role_ensure_db" does not exist/);
      return true;
    },
  );
  assert.equal(await exists("epl_nobody"), false);
});

test("a URL that is not a PostgreSQL URL with a database is refused in one line", async () => {
  await assert.rejects(ensure("postgres://postgres@127.0.0.1:5432/"), (err: { stderr: string }) => {
    assert.equal(err.stderr.trim().split("\n").length, 1, err.stderr);
    assert.match(err.stderr, /DATABASE_URL must be postgres:\/\//);
    return true;
  });
});
