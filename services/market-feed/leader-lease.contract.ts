import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import type { LeaderLease } from "./leader-lease.js";

/** Holders of one lease (as separate processes would hold it); `dispose` frees what the table used. */
export interface TestLeaseTable {
  holder(): Promise<LeaderLease>;
  dispose(): Promise<void>;
}

/** The `LeaderLease` contract (leader-lease.ts), run against an adapter. */
export function leaderLeaseContract(
  name: string,
  makeTable: (ttlMs: number) => Promise<TestLeaseTable>,
): void {
  describe(`LeaderLease contract: ${name}`, () => {
    const tables: TestLeaseTable[] = [];
    after(async () => {
      await Promise.all(tables.map((t) => t.dispose()));
    });
    async function open(ttlMs: number): Promise<TestLeaseTable> {
      const table = await makeTable(ttlMs);
      tables.push(table);
      return table;
    }
    test("one holder at a time: the other is refused while the lease is renewed", async () => {
      const table = await open(1000);
      const [a, b] = [await table.holder(), await table.holder()];
      assert.equal(await a.acquire(), true);
      assert.equal(await a.acquire(), true, "acquiring a lease one holds keeps it");
      assert.equal(await b.acquire(), false);
      for (let i = 0; i < 4; i++) {
        // Renewed at less than a third of the ttl, as a leader does.
        await pause(300);
        assert.equal(await a.renew(), true);
        assert.equal(await b.acquire(), false, `refused after ${(i + 1) * 300} ms of renewals`);
      }
      assert.equal(await b.renew(), false, "a holder that never acquired cannot renew");
    });

    test("a released lease is free at once", async () => {
      const table = await open(5000);
      const [a, b] = [await table.holder(), await table.holder()];
      assert.equal(await a.acquire(), true);
      await a.release();
      assert.equal(await b.acquire(), true);
      assert.equal(await a.renew(), false);
      await a.release();
      assert.equal(await b.renew(), true, "releasing a lease one no longer holds frees nothing");
    });

    test("a lease nobody renews expires after its ttl, and its old holder has lost it", async () => {
      const table = await open(800);
      const [a, b] = [await table.holder(), await table.holder()];
      assert.equal(await a.acquire(), true);
      const start = Date.now();
      await until(() => b.acquire(), 5000, "the other holder to take the expired lease");
      const took = Date.now() - start;
      assert.ok(took >= 600, `taken over after ${took} ms, before the ttl`);
      assert.equal(await a.renew(), false);
      assert.equal(await a.acquire(), false);
    });
  });
}
