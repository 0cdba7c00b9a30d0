import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import type { Cache } from "./cache.js";

/** Two processes' views of one cache (the same instance in memory); `dispose` cleans up. */
export interface TestCaches {
  a: Cache;
  b: Cache;
  dispose(): Promise<void>;
}

/** The Cache contract (cache.ts), run against an adapter. */
export function cacheContract(name: string, open: () => Promise<TestCaches>): void {
  describe(`Cache contract: ${name}`, () => {
    let caches: TestCaches;
    after(() => caches?.dispose());
    const setup = async () => {
      caches ??= await open();
      return caches;
    };

    test("a set value comes back as a copy until its ttl passes", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const value = { balance: 12.5, positions: [{ marketId: "m", shares: 3 }] };
      assert.equal(await a.get(key), undefined);
      await a.set(key, value, 200);
      const read = await b.get<typeof value>(key);
      assert.deepEqual(read, value);
      assert.notEqual(read, value);
      await until(async () => (await a.get(key)) === undefined, 2000, "the entry to expire with its ttl");
    });

    test("delete removes every named key at once", async () => {
      const { a, b } = await setup();
      const [k1, k2, k3] = [randomUUID(), randomUUID(), randomUUID()];
      for (const key of [k1, k2, k3]) await a.set(key, key, 60_000);
      await b.delete(k1, k2);
      assert.deepEqual([await a.get(k1), await a.get(k2), await a.get(k3)], [undefined, undefined, k3]);
    });

    test("wrap loads once, then answers from the cache; concurrent wraps share one load", async () => {
      const { a } = await setup();
      const key = randomUUID();
      let loads = 0;
      const load = async () => {
        loads += 1;
        // Still loading when the second wrap asks.
        await pause(20);
        return { n: loads };
      };
      const answers = await Promise.all([a.wrap(key, 60_000, load), a.wrap(key, 60_000, load)]);
      assert.deepEqual(answers, [{ n: 1 }, { n: 1 }]);
      assert.notEqual(answers[0], answers[1]);
      assert.deepEqual(await a.wrap(key, 60_000, load), { n: 1 });
      assert.equal(loads, 1);
    });

    test("a delete while a load runs, from any process, keeps that load's value out of the cache", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let loading = false;
      const slow = a.wrap(key, 60_000, async () => {
        loading = true;
        await gate;
        return "before the change";
      });
      await until(() => loading, 2000, "the load to start");
      await b.delete(key);
      release();
      assert.equal(await slow, "before the change");
      assert.equal(await a.wrap(key, 60_000, async () => "after the change"), "after the change");
      assert.equal(await b.get(key), "after the change");
    });
  });
}
