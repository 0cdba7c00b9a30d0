import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { type OwnedServer, startRedisServer } from "../../test/support/owned-servers.js";
import { until } from "../../test/support/polling.js";
import { connectRedis, type RedisEvent } from "../redis-connection.js";
import { createFallbackRateLimiter, createFallbackSemaphore } from "./fallback-limits.js";
import { createMemoryRateLimiter } from "./memory-rate-limiter.js";
import { createMemorySemaphore } from "./memory-semaphore.js";
import { createRedisRateLimiter } from "./redis-rate-limiter.js";
import { createRedisSemaphore } from "./redis-semaphore.js";

const prefix = "fallback-test:";
const rule = { limit: 2, windowMs: 60_000 };

/** A gateway's limits as services/gateway/main.ts composes them: Redis, else this process. */
function gatewayLimits(url: string) {
  const events: RedisEvent[] = [];
  const { redis, usable } = connectRedis(url, { onEvent: (e) => events.push(e) });
  const local = createMemoryRateLimiter();
  return {
    redis,
    usable,
    events,
    limiter: createFallbackRateLimiter(createRedisRateLimiter(redis, { prefix }), local, usable),
    semaphore: createFallbackSemaphore(
      createRedisSemaphore(redis, { prefix }),
      createMemorySemaphore({ limiter: local }),
      usable,
    ),
  };
}

/**
 * Redis down fails in the documented direction (docs/architecture.md, "Failure and overload, by
 * design"): trade and agent-run limits are still decided — by each gateway on its own, the same
 * rules — instead of every trade and run answering `unavailable`; once Redis is back they are
 * counted across gateways again.
 */
describe("limits when Redis dies: counted in each gateway, the same rules, until it is back", () => {
  let server: OwnedServer;
  let gateways: ReturnType<typeof gatewayLimits>[];
  const redisOf = (i: number): Redis => gateways[i]!.redis;

  before(async () => {
    server = await startRedisServer();
    gateways = [gatewayLimits(server.url), gatewayLimits(server.url)];
    await until(() => gateways.every((g) => g.usable()), 10_000, "both connections ready");
  });
  after(async () => {
    for (const g of gateways) g.redis.disconnect();
    await server.stop();
  });

  test("trade limits: shared while Redis is up, per gateway while it is down, shared again after", async () => {
    const take = (i: number, key: string) => gateways[i]!.limiter.take(key, rule);
    // Up: two gateways share one user's two admissions.
    assert.equal((await take(0, "trade:ann")).allowed, true);
    assert.equal((await take(1, "trade:ann")).allowed, true);
    assert.equal((await take(0, "trade:ann")).allowed, false);

    await server.kill("SIGKILL");
    await until(() => gateways.every((g) => !g.usable()), 10_000, "both connections down");
    // Down: each gateway counts the same rule by itself, and answers at once.
    const started = performance.now();
    const down = [await take(0, "trade:bob"), await take(0, "trade:bob"), await take(0, "trade:bob")];
    assert.deepEqual(
      down.map((d) => d.allowed),
      [true, true, false],
    );
    assert.ok(performance.now() - started < 500, "decided without waiting for Redis");
    assert.equal((await take(1, "trade:bob")).allowed, true, "the other gateway counts its own");
    await until(
      () => gateways.every((g) => g.events.some((e) => e.type === "down")),
      10_000,
      "the outage told",
    );

    await server.restart();
    const back = performance.now();
    await until(() => gateways.every((g) => g.usable()), 2_000, "both connections back");
    assert.ok(performance.now() - back < 2_000);
    assert.ok(gateways.every((g) => g.events.at(-1)?.type === "up"));
    // Up again: counted in Redis (which lost its keys with the restart), across gateways.
    assert.equal((await take(0, "trade:cy")).allowed, true);
    assert.equal((await take(1, "trade:cy")).allowed, true);
    assert.equal((await take(1, "trade:cy")).allowed, false);
    assert.equal(await redisOf(0).zcard(`${prefix}rate:trade:cy`), 2);
  });

  test("agent-run slots: a lease taken while Redis is down is released and renewed where it was taken", async () => {
    const { semaphore } = gateways[0]!;
    const up = await semaphore.acquire("agent-run:dee", 1, 30_000, { key: "agent-run:dee", rule });
    assert.ok(up.acquired);

    await server.kill("SIGKILL");
    await until(() => !gateways[0]!.usable(), 10_000, "connection down");
    const down = await semaphore.acquire("agent-run:eve", 1, 30_000, { key: "agent-run:eve", rule });
    assert.ok(down.acquired, "a run is admitted while Redis is down");
    const second = await semaphore.acquire("agent-run:eve", 1, 30_000);
    assert.equal(second.acquired, false, "the concurrency rule still holds, in this gateway");
    assert.equal(await semaphore.renew("agent-run:eve", down.leaseId, 30_000), true);
    await semaphore.release("agent-run:eve", down.leaseId);
    assert.ok((await semaphore.acquire("agent-run:eve", 1, 30_000)).acquired, "released where it was taken");
    // The lease taken in Redis cannot be renewed while it is away: it says so, as the port does.
    await assert.rejects(semaphore.renew("agent-run:dee", up.leaseId, 30_000), { code: "unavailable" });

    await server.restart();
    await until(() => gateways[0]!.usable(), 2_000, "connection back");
  });
});
