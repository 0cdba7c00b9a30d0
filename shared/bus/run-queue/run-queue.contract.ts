import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { AppError } from "../../errors.js";
import type { AgentChunk, AgentEvent } from "../../protocol/agent-frames.js";
import type { AgentName } from "../../protocol/agents.js";
import type { AgentRunRequest, RunJob, RunQueue, RunQueueOptions, RunWatch } from "./run-queue.js";

/**
 * One namespace of a bus: every `open()` is another process's view of the same queue (the same
 * streams for JetStream, the same instance in memory). `dispose` closes them and deletes what the
 * namespace created.
 */
export interface TestBus {
  open(): Promise<RunQueue>;
  dispose(): Promise<void>;
}

export type MakeTestBus = (options: RunQueueOptions) => Promise<TestBus>;

const baseOptions: RunQueueOptions = {
  dedupeWindowMs: 60_000,
  ackWaitMs: 1000,
  maxDeliver: 3,
  queueMax: 1000,
  outMaxAgeMs: 60_000,
};

/** The `RunQueue` contract (run-queue.ts), run against an adapter. */
export function runQueueContract(name: string, makeBus: MakeTestBus): void {
  describe(`RunQueue contract: ${name}`, () => {
    const buses: TestBus[] = [];
    after(async () => {
      await Promise.all(buses.map((b) => b.dispose()));
    });
    async function open(options: Partial<RunQueueOptions> = {}): Promise<RunQueue & { bus: TestBus }> {
      const bus = await makeBus({ ...baseOptions, ...options });
      buses.push(bus);
      return Object.assign(await bus.open(), { bus });
    }

    test("a second submit of the same client id returns the first run and queues nothing", async () => {
      const queue = await open();
      const first = run({ userId: "u1", clientId: "c1" });
      const again = { ...run({ userId: "u1", clientId: "c1" }), input: "again" };
      const other = run({ userId: "u1", clientId: "c2" });
      assert.deepEqual(pick(await queue.submit(first)), { requestId: first.requestId, duplicate: false });
      assert.deepEqual(await queue.submit(again), { requestId: first.requestId, duplicate: true });
      // Same client id, another user: a different run.
      const otherUser = run({ userId: "u2", clientId: "c1" });
      assert.equal((await queue.submit(otherUser)).duplicate, false);
      await queue.submit(other);

      const seen: string[] = [];
      const consumer = queue.consume(
        async (job) => {
          seen.push(job.request.requestId);
          await job.ack();
        },
        { concurrency: 1 },
      );
      await until(() => seen.length >= 3);
      await consumer.stop();
      // Runs of one tier come in submit order, so a queued duplicate would show before `other`.
      assert.deepEqual(seen, [first.requestId, otherUser.requestId, other.requestId]);
    });

    test("free runs are refused at nine tenths of queueMax; pro runs keep queueMax places of their own", async () => {
      const queue = await open({ queueMax: 10 });
      for (let i = 0; i < 9; i++) await queue.submit(run({ tier: "free" }));
      await assert.rejects(queue.submit(run({ tier: "free" })), isCode("overloaded"));
      for (let i = 0; i < 10; i++) await queue.submit(run({ tier: "pro" }));
      await assert.rejects(queue.submit(run({ tier: "pro" })), isCode("overloaded"));
      await assert.rejects(queue.submit(run({ tier: "free" })), isCode("overloaded"));
    });

    test("pro runs filling nine tenths of the queue refuse free runs before pro runs", async () => {
      const queue = await open({ queueMax: 10 });
      for (let i = 0; i < 9; i++) await queue.submit(run({ tier: "pro" }));
      await assert.rejects(queue.submit(run({ tier: "free" })), isCode("overloaded"));
      await queue.submit(run({ tier: "pro" }));
      await assert.rejects(queue.submit(run({ tier: "pro" })), isCode("overloaded"));
    });

    test("a duplicate submit takes no place in the queue", async () => {
      const queue = await open({ queueMax: 10 });
      const first = run({ tier: "free" });
      await queue.submit(first);
      for (let i = 0; i < 7; i++) await queue.submit(run({ tier: "free" }));
      for (let i = 0; i < 3; i++) assert.equal((await queue.submit(first)).duplicate, true);
      await queue.submit(run({ tier: "free" }));
      await assert.rejects(queue.submit(run({ tier: "free" })), isCode("overloaded"));
    });

    test("free runs submitted at once see each other: exactly the free share is accepted, each told its place", async () => {
      const queue = await open({ queueMax: 10 });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => queue.submit(run({ tier: "free" }))),
      );
      const accepted = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      assert.equal(accepted.length, 9);
      assert.ok(refused.every(isCode("overloaded")));
      assert.deepEqual(
        accepted.map((r) => r.queuedAhead).sort((x, y) => x! - y!),
        [0, 1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.equal((await queue.submit(run({ tier: "pro" }))).duplicate, false);
    });

    test("free runs flooding two gateways at once never take the places of pro runs", async () => {
      const queue = await open({ queueMax: 10 });
      const peer = await queue.bus.open();
      const flood = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? queue : peer).submit(run({ tier: "free" }))),
      );
      assert.equal(flood.filter((r) => r.status === "fulfilled").length, 9);
      const pro = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? queue : peer).submit(run({ tier: "pro" }))),
      );
      assert.deepEqual(
        pro.map((r) => r.status),
        Array(10).fill("fulfilled"),
      );
      await assert.rejects(peer.submit(run({ tier: "pro" })), isCode("overloaded"));
    });

    test("queuedAhead counts the runs waiting: pro runs for a pro run, all runs for a free run, none a worker holds", async () => {
      const queue = await open();
      for (const tier of ["free", "free", "pro", "free", "pro"] as const) await queue.submit(run({ tier }));
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const held: string[] = [];
      const consumer = queue.consume(
        async (job) => {
          held.push(job.request.tier);
          await gate;
          await job.ack();
        },
        { concurrency: 1 },
      );
      await until(() => held.length === 1);
      assert.deepEqual(held, ["pro"]);
      const waiting = { pro: 1, free: 3 };
      // Over JetStream the count is an estimate that catches up within a moment, so runs are
      // submitted until one is told the truth; each of them is one more run waiting.
      await probeUntil(
        queue,
        "pro",
        () => waiting.pro,
        () => (waiting.pro += 1),
      );
      await probeUntil(
        queue,
        "free",
        () => waiting.pro + waiting.free,
        () => (waiting.free += 1),
      );
      release();
      await consumer.stop();
    });

    test("each run goes to one worker at a time, within each worker's concurrency", async () => {
      const queue = await open();
      const peer = await queue.bus.open();
      const requests = Array.from({ length: 12 }, () => run());
      for (const request of requests) await queue.submit(request);
      const deliveries = new Map<string, number>();
      let running = 0;
      let peak = 0;
      const handler = async (job: RunJob) => {
        running += 1;
        peak = Math.max(peak, running);
        deliveries.set(job.request.requestId, (deliveries.get(job.request.requestId) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await job.emit({
          type: "agent.done",
          stopReason: "end_turn",
          usage: { inputTokens: 1, outputTokens: 1 },
        });
        await job.ack();
        running -= 1;
      };
      const consumers = [
        queue.consume(handler, { concurrency: 2 }),
        peer.consume(handler, { concurrency: 2 }),
      ];
      await until(() => deliveries.size === requests.length && running === 0);
      await Promise.all(consumers.map((c) => c.stop()));
      assert.ok(
        [...deliveries.values()].every((n) => n === 1),
        "no run was delivered twice",
      );
      assert.ok(peak <= 4, `at most 4 runs at once, saw ${peak}`);
      assert.equal(consumers[0]!.active + consumers[1]!.active, 0);
    });

    test("a run whose worker dies without acking moves to another worker with the next attempt", async () => {
      const queue = await open();
      const peer = await queue.bus.open();
      const request = run();
      const watch = queue.watch(request.requestId, 0);
      await queue.submit(request);

      let firstAttempt = 0;
      const dying = queue.consume(
        async (job) => {
          firstAttempt = job.attempt;
          await job.emit(delta("partial"));
          // Returns without ack: as if the process died mid-run.
        },
        { concurrency: 1 },
      );
      await until(() => firstAttempt > 0);
      await dying.stop();

      let secondAttempt = 0;
      const survivor = peer.consume(
        async (job) => {
          secondAttempt = job.attempt;
          await job.emit({ type: "agent.restart", attempt: job.attempt });
          await job.emit(done());
          await job.ack();
        },
        { concurrency: 1 },
      );
      const chunks = await collect(watch);
      await survivor.stop();
      assert.equal(firstAttempt, 1);
      assert.equal(secondAttempt, 2);
      // The second worker's output continues the run's sequence.
      assert.deepEqual(
        chunks.map((c) => [c.seq, c.type]),
        [
          [1, "agent.delta"],
          [2, "agent.restart"],
          [3, "agent.done"],
        ],
      );
      assert.equal(await queue.lastSeq(request.requestId), 3);
    });

    test("a run that comes back after its terminal chunk was stored ends without running again", async () => {
      const queue = await open();
      const request = run();
      await queue.submit(request);
      const attempts: number[] = [];
      const consumer = queue.consume(
        async (job) => {
          attempts.push(job.attempt);
          await job.emit(delta("all of it"));
          await job.emit(done());
          // Fails between storing the end and the ack, as a lost ack does: the run comes back.
          throw new Error("crashed after the end");
        },
        { concurrency: 1 },
      );
      const chunks = await collect(queue.watch(request.requestId, 0));
      // Long enough for the redelivery (an immediate nak) to reach a handler if it were going to.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await consumer.stop();
      assert.deepEqual(attempts, [1]);
      assert.deepEqual(
        chunks.map((c) => c.type),
        ["agent.delta", "agent.done"],
      );
      assert.equal(await queue.lastSeq(request.requestId), 2);
      // Removed from the queue: a fresh worker finds nothing to run.
      const later: number[] = [];
      const fresh = queue.consume(
        async (job) => {
          later.push(job.attempt);
          await job.ack();
        },
        { concurrency: 1 },
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await fresh.stop();
      assert.deepEqual(later, []);
    });

    test("a handler that throws gets the run again; after maxDeliver attempts watchers get a terminal error", async () => {
      const queue = await open({ maxDeliver: 2 });
      const request = run();
      await queue.submit(request);
      const attempts: number[] = [];
      const consumer = queue.consume(
        async (job) => {
          attempts.push(job.attempt);
          throw new Error("model crashed");
        },
        { concurrency: 1 },
      );
      const chunks = await collect(queue.watch(request.requestId, 0));
      await consumer.stop();
      assert.deepEqual(attempts, [1, 2]);
      assert.equal(chunks.length, 1);
      const [error] = chunks;
      assert.equal(error?.type, "agent.error");
      assert.equal(error?.seq, 1);
      if (error?.type === "agent.error") {
        assert.equal(error.code, "unavailable");
        assert.equal(error.retryable, true);
      }
    });

    test("watch yields every chunk after `after` exactly once, in order, stored then live", async () => {
      const queue = await open();
      const request = run();
      const early = queue.watch(request.requestId, 0);
      await queue.submit(request);
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const consumer = queue.consume(
        async (job) => {
          await job.emit(delta("a"));
          await job.emit(delta("b"));
          await gate;
          await job.emit(delta("c"));
          await job.emit(done());
          await job.ack();
        },
        { concurrency: 1 },
      );
      await until(async () => (await queue.lastSeq(request.requestId)) === 2);
      const midway = queue.watch(request.requestId, 0);
      const fromOne = queue.watch(request.requestId, 1);
      release();
      const expected = ["1:a", "2:b", "3:c", "4:agent.done"];
      assert.deepEqual(describeChunks(await collect(early)), expected);
      assert.deepEqual(describeChunks(await collect(midway)), expected);
      assert.deepEqual(describeChunks(await collect(fromOne)), expected.slice(1));
      for (let from = 0; from <= 4; from++) {
        assert.deepEqual(
          describeChunks(await collect(queue.watch(request.requestId, from))),
          expected.slice(from),
        );
      }
      await consumer.stop();
    });

    test("emit may be called again before the last call resolves: chunks are stored in call order", async () => {
      const queue = await open();
      const request = run();
      const watch = queue.watch(request.requestId, 0);
      await queue.submit(request);
      let seqWhenDone = 0;
      const consumer = queue.consume(
        async (job) => {
          const calls = Array.from({ length: 40 }, (_, i) => job.emit(delta(`${i}`)));
          await job.emit(done());
          // The terminal chunk resolved: everything before it is stored already.
          seqWhenDone = await queue.lastSeq(request.requestId);
          await Promise.all(calls);
          await job.ack();
        },
        { concurrency: 1 },
      );
      const chunks = await collect(watch);
      await until(() => seqWhenDone > 0);
      await consumer.stop();
      assert.equal(seqWhenDone, 41);
      assert.deepEqual(describeChunks(chunks), [
        ...Array.from({ length: 40 }, (_, i) => `${i + 1}:${i}`),
        "41:agent.done",
      ]);
    });

    test("a closed watch ends its iterator", async () => {
      const queue = await open();
      const watch = queue.watch(randomUUID(), 0);
      const chunks: AgentChunk[] = [];
      const reading = (async () => {
        for await (const chunk of watch) chunks.push(chunk);
      })();
      watch.close();
      await reading;
      assert.deepEqual(chunks, []);
    });

    test("cancel aborts the worker holding the run, and a run picked up later at once", async () => {
      const queue = await open();
      const running = run();
      const waiting = run();
      await queue.submit(running);
      const aborted: string[] = [];
      const started: string[] = [];
      const consumer = queue.consume(
        async (job) => {
          started.push(job.request.requestId);
          if (!job.signal.aborted) {
            await new Promise((resolve) => job.signal.addEventListener("abort", resolve, { once: true }));
          }
          aborted.push(job.request.requestId);
          await job.emit({
            type: "agent.done",
            stopReason: "cancelled",
            usage: { inputTokens: 0, outputTokens: 0 },
          });
          await job.ack();
        },
        { concurrency: 1 },
      );
      await until(() => started.length === 1);
      await queue.cancel(running.requestId);
      await until(() => aborted.length === 1);
      await queue.cancel(waiting.requestId);
      await queue.submit(waiting);
      await until(() => aborted.length === 2);
      await consumer.stop();
      assert.deepEqual(aborted, [running.requestId, waiting.requestId]);
    });

    test("pro runs waiting with free runs are delivered first", async () => {
      const queue = await open();
      const free = [run({ tier: "free" }), run({ tier: "free" }), run({ tier: "free" })];
      const pro = [run({ tier: "pro" }), run({ tier: "pro" })];
      for (const request of [...free, ...pro]) await queue.submit(request);
      const order: string[] = [];
      const consumer = queue.consume(
        async (job) => {
          order.push(job.request.tier);
          await job.ack();
        },
        { concurrency: 1 },
      );
      await until(() => order.length === 5);
      await consumer.stop();
      assert.deepEqual(order, ["pro", "pro", "free", "free", "free"]);
    });

    test("stop waits for the runs in progress", async () => {
      const queue = await open();
      await queue.submit(run());
      let finished = false;
      let startedAt = 0;
      const consumer = queue.consume(
        async (job) => {
          startedAt = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 50));
          await job.ack();
          finished = true;
        },
        { concurrency: 4 },
      );
      await until(() => startedAt > 0);
      assert.equal(consumer.active, 1);
      await consumer.stop();
      assert.equal(finished, true);
      assert.equal(consumer.active, 0);
    });
  });
}

function run(overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    v: 1,
    requestId: randomUUID(),
    clientId: randomUUID(),
    userId: randomUUID(),
    tier: "free",
    agent: "leagueStatsAgent" satisfies AgentName,
    input: "who leads the table?",
    submittedAt: Date.now(),
    ...overrides,
  };
}

function delta(text: string): AgentEvent {
  return { type: "agent.delta", text };
}

function done(): AgentEvent {
  return { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 3, outputTokens: 2 } };
}

function pick(result: { requestId: string; duplicate: boolean }) {
  return { requestId: result.requestId, duplicate: result.duplicate };
}

function isCode(code: string) {
  return (err: unknown) => err instanceof AppError && err.code === code;
}

function describeChunks(chunks: AgentChunk[]): string[] {
  return chunks.map((c) => `${c.seq}:${c.type === "agent.delta" ? c.text : c.type}`);
}

/** Reads a watch to its end (or fails after `timeoutMs`). */
async function collect(watch: RunWatch, timeoutMs = 8000): Promise<AgentChunk[]> {
  const chunks: AgentChunk[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    watch.close();
  }, timeoutMs);
  for await (const chunk of watch) chunks.push(chunk);
  clearTimeout(timer);
  assert.equal(timedOut, false, `the watch ended by itself (got ${describeChunks(chunks).join(", ")})`);
  const last = chunks.at(-1);
  if (last !== undefined) {
    assert.ok(
      last.type === "agent.done" || last.type === "agent.error",
      "the watch ended on its terminal chunk",
    );
  }
  return chunks;
}

/**
 * Submits runs of `tier` one by one until one is told `expected()` runs are ahead; each run
 * submitted waits too and is counted with `waited()`. Fails after `timeoutMs`.
 */
async function probeUntil(
  queue: RunQueue,
  tier: AgentRunRequest["tier"],
  expected: () => number,
  waited: () => void,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen: (number | undefined)[] = [];
  for (;;) {
    const want = expected();
    const { queuedAhead } = await queue.submit(run({ tier }));
    waited();
    if (queuedAhead === want) return;
    seen.push(queuedAhead);
    if (Date.now() > deadline) {
      assert.fail(`a ${tier} run was told ${seen.join(", ")} ahead; expected ${expected()} at the end`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
