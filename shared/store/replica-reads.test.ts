import assert from "node:assert/strict";
import { test } from "node:test";
import { createReplicaReads, type SqlReader } from "./replica-reads.js";

/** A reader that answers its own name, or fails with `failWith` while it is set. */
function reader(name: string) {
  const self = {
    calls: 0,
    failWith: undefined as { code: string } | undefined,
    async query<Row>(): Promise<Row[]> {
      self.calls++;
      if (self.failWith) throw Object.assign(new Error(self.failWith.code), self.failWith);
      return [{ from: name }] as Row[];
    },
  };
  return self satisfies SqlReader;
}

test("an unreachable replica: the primary answers, and the replica is left alone until the retry time", async () => {
  let clock = 0;
  const replica = reader("replica");
  const primary = reader("primary");
  const reads = createReplicaReads(replica, primary, { retryAfterMs: 1000, now: () => clock });
  assert.deepEqual(await reads.query("SELECT"), [{ from: "replica" }]);
  replica.failWith = { code: "ECONNREFUSED" };
  assert.deepEqual(await reads.query("SELECT"), [{ from: "primary" }]);
  clock = 999;
  assert.deepEqual(await reads.query("SELECT"), [{ from: "primary" }]);
  assert.equal(replica.calls, 2, "no attempt on the replica inside the retry time");
  replica.failWith = undefined;
  clock = 1000;
  assert.deepEqual(await reads.query("SELECT"), [{ from: "replica" }]);
});

test("a query cancelled by recovery is answered by the primary, and the replica stays in use", async () => {
  const replica = reader("replica");
  const reads = createReplicaReads(replica, reader("primary"), { now: () => 0 });
  replica.failWith = { code: "40001" };
  assert.deepEqual(await reads.query("SELECT"), [{ from: "primary" }]);
  replica.failWith = undefined;
  assert.deepEqual(await reads.query("SELECT"), [{ from: "replica" }]);
});

test("a write refused by the read-only session is not retried on the primary", async () => {
  const replica = reader("replica");
  const primary = reader("primary");
  replica.failWith = { code: "25006" };
  await assert.rejects(createReplicaReads(replica, primary).query("INSERT"), { code: "25006" });
  assert.equal(primary.calls, 0);
});
