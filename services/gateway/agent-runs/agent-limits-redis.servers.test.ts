import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { createMemoryRunQueue } from "../../../shared/bus/run-queue/memory-run-queue.js";
import type { RunJob } from "../../../shared/bus/run-queue/run-queue.js";
import type { Config } from "../../../shared/config.js";
import { createRedisRateLimiter } from "../../../shared/limits/redis-rate-limiter.js";
import { createRedisSemaphore } from "../../../shared/limits/redis-semaphore.js";
import { openTestRedis } from "../../../shared/limits/test-redis.js";
import { untilFound } from "../../../test/support/polling.js";
import {
  echoScript,
  type Harness,
  scriptedWorker,
  startGateway,
  tokenFor,
} from "../testing/gateway-harness.js";
import { type Frame, TestClient } from "../testing/ws-client.js";

/**
 * docs/protocol.md "Limits" across gateways: two gateway apps, each with its own Redis connection
 * under one key prefix (as two processes of a deployment), over one run queue. Runs whose input is
 * "hold" wait until the test lets them finish.
 */
const streamPrefix = `T${randomBytes(5).toString("hex")}_`;
const runQueue = createMemoryRunQueue();
const held = new Map<string, () => void>();
let redisA: Awaited<ReturnType<typeof openTestRedis>>;
let redisB: Awaited<ReturnType<typeof openTestRedis>>;
const gateways: Harness[] = [];

const sharedDeps = (redis: Redis) => ({
  runQueue,
  limiter: createRedisRateLimiter(redis, { prefix: streamPrefix }),
  semaphore: createRedisSemaphore(redis, { prefix: streamPrefix }),
  rateLimitRedis: redis,
});

/** Two more gateways over the same Redis keys, with `overrides`. */
async function pair(overrides: Partial<Config> = {}): Promise<[Harness, Harness]> {
  const started = await Promise.all([
    startGateway({ streamPrefix, ...overrides }, sharedDeps(redisA.redis)),
    startGateway({ streamPrefix, ...overrides }, sharedDeps(redisB.redis)),
  ]);
  gateways.push(...started);
  return started;
}

before(async () => {
  redisA = await openTestRedis(undefined, streamPrefix);
  redisB = await openTestRedis(undefined, streamPrefix);
  scriptedWorker(runQueue, echoScript, {
    gate: (job: RunJob) =>
      job.request.input === "hold"
        ? new Promise<void>((resolve) => held.set(job.request.requestId, resolve))
        : Promise.resolve(),
  });
});

after(async () => {
  for (const gw of gateways) await gw.close();
  for (const release of held.values()) release();
  await redisA.cleanup();
  redisB.redis.disconnect();
});

const run = (client: TestClient, id: string, input = "quick") =>
  client.send({ type: "agent.run", id, agent: "supportAgent", input });

/** The first answer to run `id`: `agent.accepted` or an `error` frame. */
const answer = (client: TestClient, id: string) =>
  client.take((f) => f.id === id && (f.type === "agent.accepted" || f.type === "error"));

const ended = (client: TestClient, id: string) =>
  client.take((f) => f.id === id && (f.type === "agent.done" || f.type === "agent.error"), 5000);

function assertRateLimited(frame: Frame, id: string) {
  assert.deepEqual([frame.type, frame.id, frame.code, frame.retryable], ["error", id, "rate_limited", true]);
  assert.ok(frame.retryAfterMs > 0, "retryAfterMs is given");
}

/** POSTs a run over HTTP (JSON form) to `gw` as `user`. */
const httpRun = (gw: Harness, user: string) =>
  gw.app.inject({
    method: "POST",
    url: "/api/agents/supportAgent/runs",
    headers: { authorization: `Bearer ${tokenFor(user)}` },
    payload: { input: "quick" },
  });

/** Starts runs on alternate gateways until one is accepted (a slot frees just after the run's end). */
async function acceptedSoon(clients: TestClient[], prefix: string): Promise<Frame> {
  let attempt = 0;
  return untilFound(
    async () => {
      const id = `${prefix}${attempt}`;
      const client = clients[attempt++ % clients.length]!;
      run(client, id);
      const frame = await answer(client, id);
      if (frame.type === "agent.accepted") return frame;
      assertRateLimited(frame, id);
      return undefined;
    },
    3000,
    "a run accepted after the slot was freed",
  );
}

describe("agent run limits across two gateways sharing Redis", () => {
  let a: Harness;
  let b: Harness;
  before(async () => {
    [a, b] = await pair();
  });

  test("a free user's third concurrent run is refused on either gateway; a finished run frees its slot", async () => {
    const [onA, onB] = await Promise.all([
      TestClient.connect(a.wsUrl, tokenFor("fay")),
      TestClient.connect(b.wsUrl, tokenFor("fay")),
    ]);
    run(onA, "r1", "hold");
    run(onB, "r2", "hold");
    const first = await answer(onA, "r1");
    assert.equal((await answer(onB, "r2")).type, "agent.accepted");

    run(onA, "r3", "hold");
    assertRateLimited(await answer(onA, "r3"), "r3");
    const overHttp = await httpRun(b, "fay");
    assert.equal(overHttp.statusCode, 429);
    assert.ok(Number(overHttp.headers["retry-after"]) >= 1);
    assert.equal(overHttp.json().error.code, "rate_limited");

    held.get(first.requestId)?.();
    assert.equal((await ended(onA, "r1")).type, "agent.done");
    await acceptedSoon([onB, onA], "after-");
    onA.close();
    onB.close();
  });

  test("a free user gets ten runs a minute in total over both gateways, then rate_limited until the window moves", async () => {
    const clients = await Promise.all([
      TestClient.connect(a.wsUrl, tokenFor("gus")),
      TestClient.connect(b.wsUrl, tokenFor("gus")),
    ]);
    for (let i = 0; i < 10; i++) {
      const client = clients[i % 2]!;
      run(client, `m${i}`);
      assert.equal((await answer(client, `m${i}`)).type, "agent.accepted", `run ${i + 1} of 10`);
      await ended(client, `m${i}`);
    }
    run(clients[0]!, "m10");
    const refused = await answer(clients[0]!, "m10");
    assertRateLimited(refused, "m10");
    assert.ok(refused.retryAfterMs > 30_000 && refused.retryAfterMs <= 60_000, `${refused.retryAfterMs} ms`);

    const overHttp = await httpRun(b, "gus");
    assert.equal(overHttp.statusCode, 429);
    assert.ok(Number(overHttp.headers["retry-after"]) > 30);
    assert.deepEqual(Object.keys(overHttp.json().error).sort(), ["code", "message"]);

    // Another user's runs are counted apart.
    assert.equal((await httpRun(a, "hugo")).statusCode, 200);
    for (const client of clients) client.close();
  });

  test("the same run id again through the other gateway is the same run and takes no second slot", async () => {
    const [onA, onB] = await Promise.all([
      TestClient.connect(a.wsUrl, tokenFor("dot")),
      TestClient.connect(b.wsUrl, tokenFor("dot")),
    ]);
    run(onA, "d1", "hold");
    const original = await answer(onA, "d1");
    run(onB, "d1", "hold");
    const again = await answer(onB, "d1");
    assert.deepEqual([again.type, again.requestId], ["agent.accepted", original.requestId]);
    run(onB, "d2", "hold");
    assert.equal((await answer(onB, "d2")).type, "agent.accepted", "the duplicate left the second slot free");
    run(onA, "d3", "hold");
    assertRateLimited(await answer(onA, "d3"), "d3");
    onA.close();
    onB.close();
  });
});

describe("the HTTP request limit across two gateways sharing Redis", () => {
  test("public routes count per IP, authenticated routes per user; over it: 429 in the protocol's shape", async () => {
    const [c, d] = await pair({ httpRequestsPerMinuteIp: 2, httpRequestsPerMinuteUser: 3 });
    const catalogue = (gw: Harness) => gw.app.inject({ method: "GET", url: "/api/agents" });
    assert.equal((await catalogue(c)).statusCode, 200);
    assert.equal((await catalogue(d)).statusCode, 200);
    const refused = await catalogue(c);
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers["retry-after"]) >= 1);
    assert.deepEqual(refused.json(), {
      error: { code: "rate_limited", message: "at most 2 requests per minute; slow down" },
    });

    const wallet = (gw: Harness, user: string) =>
      gw.app.inject({
        method: "GET",
        url: "/api/wallet",
        headers: { authorization: `Bearer ${tokenFor(user)}` },
      });
    // Without an exchange the wallet answers unavailable; what matters is which requests are counted.
    for (const gw of [c, d, c]) assert.equal((await wallet(gw, "hal")).statusCode, 503);
    assert.equal((await wallet(d, "hal")).statusCode, 429);
    assert.equal((await wallet(d, "ivy")).statusCode, 503);
  });
});
