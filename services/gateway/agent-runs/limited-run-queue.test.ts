import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";
import { createMemoryRunQueue } from "../../../shared/bus/run-queue/memory-run-queue.js";
import type { AgentRunRequest, RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { createMemorySemaphore } from "../../../shared/limits/memory-semaphore.js";
import type { Semaphore } from "../../../shared/limits/semaphore.js";
import { createLogger } from "../../../shared/logger.js";
import { pause, until } from "../../../test/support/polling.js";
import { echoScript, scriptedWorker } from "../testing/gateway-harness.js";
import { createLimitedRunQueue } from "./limited-run-queue.js";

const request = (userId: string, clientId: string = randomUUID()): AgentRunRequest => ({
  v: 1,
  requestId: randomUUID().replaceAll("-", ""),
  clientId,
  userId,
  tier: "free",
  agent: "supportAgent",
  input: "hi",
  submittedAt: Date.now(),
});

const isRateLimited = (err: unknown) => err instanceof AppError && err.code === "rate_limited";

describe("agent run limits in front of the run queue", () => {
  let inner: RunQueue;
  let semaphore: Semaphore;
  let queue: RunQueue;
  /** Runs wait here until the test lets them finish. */
  let gates: (() => void)[];
  const limited = (leaseTtlMs = 30_000) =>
    createLimitedRunQueue(inner, {
      semaphore,
      limits: { free: { runsPerMinute: 4, concurrent: 2 }, pro: { runsPerMinute: 60, concurrent: 8 } },
      logger: createLogger({ logLevel: "silent" }),
      leaseTtlMs,
      maxHoldMs: 60_000,
    });

  beforeEach(() => {
    gates = [];
    inner = createMemoryRunQueue();
    semaphore = createMemorySemaphore();
    scriptedWorker(inner, echoScript, { gate: () => new Promise<void>((resolve) => gates.push(resolve)) });
  });
  afterEach(async () => {
    await queue.close();
    for (const open of gates) open();
    await inner.close();
  });

  test("a client that stops watching keeps the run's slot; the run's end frees it", async () => {
    queue = limited();
    for (const run of [request("ann"), request("ann")]) {
      const watch = queue.watch(run.requestId, 0, { fresh: true });
      await queue.submit(run);
      watch.close();
    }
    await until(() => gates.length === 2, 3000, "both runs held by the worker");
    await assert.rejects(queue.submit(request("ann")), isRateLimited);
    // A window in which a slot freed by the clients leaving would show.
    await pause(50);
    await assert.rejects(queue.submit(request("ann")), isRateLimited, "leaving did not free a slot");

    gates.shift()?.();
    await pollSubmit(queue, request("ann"));
  });

  test("a duplicate submit gives its slot back to the run that holds one", async () => {
    queue = limited();
    const first = request("bea", "same-id");
    await queue.submit(first);
    const again = await queue.submit(request("bea", "same-id"));
    assert.deepEqual([again.duplicate, again.requestId], [true, first.requestId]);
    await queue.submit(request("bea"));
    await assert.rejects(queue.submit(request("bea")), isRateLimited, "two runs hold both slots");
  });

  test("a closed gateway's leases lapse after their ttl; a live one renews them", async () => {
    const live = limited(120);
    queue = live;
    await live.submit(request("cid"));
    // More than three ttls: a lease that was not renewed would have lapsed.
    await pause(400);
    const held = await semaphore.acquire("agent-run:cid", 1, 1000);
    assert.equal(held.acquired, false, "renewed while the gateway holds the run");

    await live.close();
    await until(
      async () => (await semaphore.acquire("agent-run:cid", 1, 1000)).acquired,
      3000,
      "the closed gateway's lease to lapse",
    );
  });
});

/** Submits until the limits admit it (a slot is released asynchronously after the run's end). */
async function pollSubmit(queue: RunQueue, req: AgentRunRequest): Promise<void> {
  await until(
    async () => {
      try {
        await queue.submit(req);
        return true;
      } catch (err) {
        if (!isRateLimited(err)) throw err;
        return false;
      }
    },
    3000,
    "the limits to admit the run",
  );
}
