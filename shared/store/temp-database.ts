import { randomBytes } from "node:crypto";
import postgres from "postgres";

/**
 * A PostgreSQL database of its own for one test suite, on the server of `adminUrl`: created with
 * a random name, dropped (after closing whatever still connects to it) by `drop()`.
 */
export async function createTempDatabase(
  adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
): Promise<{ url: string; name: string; admin: postgres.Sql; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    admin,
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
