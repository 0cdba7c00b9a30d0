import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Semaphore } from "./semaphore.js";

/** Two processes' views of one limits store (the same instance in memory); `dispose` cleans up. */
export interface TestLimits {
  a: { rate: RateLimiter; semaphore: Semaphore };
  b: { rate: RateLimiter; semaphore: Semaphore };
  dispose(): Promise<void>;
}

/** The RateLimiter and Semaphore contracts (rate-limiter.ts, semaphore.ts), run against an adapter. */
export function limitsContract(name: string, open: () => Promise<TestLimits>): void {
  describe(`limits contract: ${name}`, () => {
    let limits: TestLimits;
    after(() => limits?.dispose());
    const setup = async () => {
      limits ??= await open();
      return limits;
    };

    test("a key admits `limit` per window, then refuses with the wait until a slot frees", async () => {
      const { a } = await setup();
      const key = randomUUID();
      const rule = { limit: 3, windowMs: 400 };
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await a.rate.take(key, rule));
      assert.deepEqual(
        answers.slice(0, 3),
        [2, 1, 0].map((remaining) => ({ allowed: true, remaining })),
      );
      for (const refused of answers.slice(3)) {
        assert.equal(refused.allowed, false);
        if (refused.allowed) continue;
        assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 400, `${refused.retryAfterMs}`);
      }
      assert.equal((await a.rate.take(randomUUID(), rule)).allowed, true, "other keys are independent");
      await until(async () => (await a.rate.take(key, rule)).allowed, 2000, "the window to slide");
    });

    test("refusals do not count: waiting retryAfterMs is enough", async () => {
      const { a } = await setup();
      const key = randomUUID();
      const rule = { limit: 1, windowMs: 300 };
      assert.equal((await a.rate.take(key, rule)).allowed, true);
      let wait = 0;
      for (let i = 0; i < 10; i++) {
        const refused = await a.rate.take(key, rule);
        assert.equal(refused.allowed, false);
        if (!refused.allowed) wait = refused.retryAfterMs;
      }
      await pause(wait + 20);
      assert.equal((await a.rate.take(key, rule)).allowed, true);
    });

    test("concurrent callers in two processes never exceed the limit together", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const rule = { limit: 5, windowMs: 5000 };
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).rate.take(key, rule)),
      );
      assert.equal(answers.filter((d) => d.allowed).length, 5);
    });

    test("a semaphore holds at most `limit` leases; a release frees a slot", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const first = await a.semaphore.acquire(key, 2, 5000);
      const second = await b.semaphore.acquire(key, 2, 5000);
      assert.ok(first.acquired && second.acquired);
      assert.notEqual(first.leaseId, second.leaseId);
      assert.deepEqual(await a.semaphore.acquire(key, 2, 5000), { acquired: false, held: 2 });
      await b.semaphore.release(key, first.leaseId);
      assert.equal((await a.semaphore.acquire(key, 2, 5000)).acquired, true);
      assert.equal((await a.semaphore.acquire(randomUUID(), 2, 5000)).acquired, true, "keys are independent");
    });

    test("concurrent acquires in two processes never hold more than the limit", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).semaphore.acquire(key, 3, 5000)),
      );
      assert.equal(answers.filter((x) => x.acquired).length, 3);
    });

    test("a lease with a rate admission needs both; a refusal of either takes nothing", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const rate = { key: randomUUID(), rule: { limit: 4, windowMs: 60_000 } };
      // One admission taken by the rate limiter itself: the semaphore counts it.
      assert.equal((await b.rate.take(rate.key, rate.rule)).allowed, true);
      const first = await a.semaphore.acquire(key, 2, 5000, rate);
      const second = await b.semaphore.acquire(key, 2, 5000, rate);
      assert.ok(first.acquired && second.acquired);
      // Full on concurrency: refused as such, and no admission spent.
      assert.deepEqual(await a.semaphore.acquire(key, 2, 5000, rate), { acquired: false, held: 2 });
      await a.semaphore.release(key, first.leaseId);
      // The rate's last admission of the minute goes to the rate limiter, so the freed slot is
      // refused on rate, and keeps free.
      assert.deepEqual(await a.rate.take(rate.key, rate.rule), { allowed: true, remaining: 0 });
      const refused = await b.semaphore.acquire(key, 2, 5000, rate);
      assert.ok(!refused.acquired && "rateLimited" in refused && refused.retryAfterMs > 0);
      assert.equal((await a.semaphore.acquire(key, 2, 5000)).acquired, true, "the slot stayed free");
    });

    test("concurrent leases with a rate admission never exceed either limit", async () => {
      const { a, b } = await setup();
      const key = randomUUID();
      const rate = { key: randomUUID(), rule: { limit: 4, windowMs: 60_000 } };
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).semaphore.acquire(key, 3, 5000, rate)),
      );
      const granted = answers.filter((x) => x.acquired);
      assert.equal(granted.length, 3);
      for (const lease of granted) if (lease.acquired) await a.semaphore.release(key, lease.leaseId);
      const more = await Promise.all(
        Array.from({ length: 4 }, () => b.semaphore.acquire(key, 3, 5000, rate)),
      );
      assert.equal(more.filter((x) => x.acquired).length, 1, "one admission of the minute was left");
    });

    test("an unrenewed lease expires and frees its slot; a renewed one is kept", async () => {
      const { a } = await setup();
      const key = randomUUID();
      const kept = await a.semaphore.acquire(key, 2, 300);
      const dropped = await a.semaphore.acquire(key, 2, 300);
      assert.ok(kept.acquired && dropped.acquired);
      const renewer = setInterval(() => void a.semaphore.renew(key, kept.leaseId, 300), 50);
      try {
        await until(async () => (await a.semaphore.acquire(key, 2, 5000)).acquired, 2000, "expiry");
        assert.deepEqual(await a.semaphore.acquire(key, 2, 5000), { acquired: false, held: 2 });
      } finally {
        clearInterval(renewer);
      }
      assert.equal(await a.semaphore.renew(key, dropped.leaseId, 300), false, "an expired lease stays gone");
      await a.semaphore.release(key, kept.leaseId);
      assert.equal(await a.semaphore.renew(key, kept.leaseId, 300), false, "a released lease stays gone");
    });
  });
}
