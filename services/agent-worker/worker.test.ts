import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { Type as T } from "@sinclair/typebox";
import { createMemoryRunQueue } from "../../shared/bus/run-queue/memory-run-queue.js";
import type { AgentRunRequest, RunQueue, RunQueueOptions } from "../../shared/bus/run-queue/run-queue.js";
import { loadDataset, shortName } from "../../shared/epl/dataset.js";
import { standings, teamForm } from "../../shared/epl/standings.js";
import { AppError } from "../../shared/errors.js";
import { createLogger } from "../../shared/logger.js";
import type { AgentChunk } from "../../shared/protocol/agent-frames.js";
import type { AgentName } from "../../shared/protocol/agents.js";
import { until } from "../../test/support/polling.js";
import { createAgent } from "./agent/agent.js";
import type { ModelProvider } from "./agent/model.js";
import type { OfflineSkill } from "./agent/offline/skill.js";
import { offlineSkills } from "./agent/offline/skills.js";
import { createOfflineProvider } from "./agent/offline-provider.js";
import { createTool } from "./agent/tool.js";
import { getTeamFormTool } from "./agent/tools/team-form.js";
import { type AgentPool, createAgentPool } from "./agents/pool.js";
import { createTestPlatform } from "./testing/test-platform.js";
import { createWorker } from "./worker.js";

// The tools' services over an in-memory store, shared by the file's tests.
const platform = await createTestPlatform();
after(() => platform.close());

const epl = loadDataset();
const logger = createLogger({ logLevel: "silent" });

function setup(
  options: {
    concurrency?: number;
    coalesceMs?: number;
    tokenDelayMs?: number;
    provider?: ModelProvider;
    pool?: AgentPool;
    queue?: Partial<RunQueueOptions>;
  } = {},
) {
  const runQueue = createMemoryRunQueue(options.queue);
  const makeWorker = () =>
    createWorker({
      config: {
        workerConcurrency: options.concurrency ?? 8,
        coalesceMs: options.coalesceMs ?? 0,
        modelMaxSteps: 4,
        agentAckWaitMs: options.queue?.ackWaitMs ?? 10_000,
        agentMaxDeliver: options.queue?.maxDeliver ?? 3,
        agentConfirmTimeoutMs: 30_000,
      },
      runQueue,
      pool: options.pool ?? createAgentPool({ anthropicModel: "claude-sonnet-5-5" }),
      provider:
        options.provider ?? createOfflineProvider({ dataset: epl, tokenDelayMs: options.tokenDelayMs ?? 0 }),
      services: platform.services,
      logger,
      retryDelayMs: 10,
    });
  const worker = makeWorker();
  // The in-process queue's timers do not hold the process open (a real server would): this does,
  // while a test waits for a redelivery.
  const keepAlive = setInterval(() => undefined, 1000);
  return {
    runQueue,
    worker,
    /** Another worker of the same queue (not started). */
    makeWorker,
    async close() {
      clearInterval(keepAlive);
      await runQueue.close();
      await worker.stop();
    },
  };
}

async function submit(
  runQueue: RunQueue,
  input: string,
  agent: AgentName = "eplScoutAgent",
  userId = "user-1",
): Promise<string> {
  const request: AgentRunRequest = {
    v: 1,
    requestId: randomUUID(),
    clientId: randomUUID(),
    userId,
    tier: "free",
    agent,
    input,
    submittedAt: Date.now(),
  };
  return (await runQueue.submit(request)).requestId;
}

async function frames(runQueue: RunQueue, requestId: string): Promise<AgentChunk[]> {
  const chunks: AgentChunk[] = [];
  for await (const chunk of runQueue.watch(requestId, 0)) chunks.push(chunk);
  return chunks;
}

const textOf = (chunks: AgentChunk[]) =>
  chunks.flatMap((c) => (c.type === "agent.delta" ? [c.text] : [])).join("");
const stopOf = (chunks: AgentChunk[]) => {
  const last = chunks.at(-1);
  return last?.type === "agent.done" ? last.stopReason : last?.type;
};

describe("agent worker over the in-process run queue", () => {
  test("a run streams ordered frames, coalesced text and one terminal frame", async () => {
    const { runQueue, worker, close } = setup({ coalesceMs: 30, tokenDelayMs: 1 });
    worker.start();
    try {
      const requestId = await submit(runQueue, "Where are Arsenal in the table?");
      const chunks = await frames(runQueue, requestId);
      assert.deepEqual(
        chunks.map((c) => c.seq),
        chunks.map((_, i) => i + 1),
      );
      assert.deepEqual(
        chunks.filter((c) => c.type === "agent.tool").map((c) => c.type === "agent.tool" && c.status),
        ["started", "finished"],
      );
      const arsenal = standings(epl, "2025-26").find((r) => r.team === "Arsenal FC")!;
      const text = textOf(chunks);
      assert.ok(text.includes(`with ${arsenal.points} points`), text);
      const deltas = chunks.filter((c) => c.type === "agent.delta").length;
      assert.ok(
        deltas < text.split(/\s+/).length / 3,
        `${deltas} delta frames for ${text.split(/\s+/).length} words`,
      );
      assert.equal(stopOf(chunks), "end_turn");
    } finally {
      await close();
    }
  });

  test("a run taken over from a silent worker starts with agent.restart and continues the seq", async () => {
    const { runQueue, worker, close } = setup({ queue: { ackWaitMs: 200 } });
    // A worker that wrote a little and then hung: the queue gives its run to the next worker.
    runQueue.consume(
      async (job) => {
        await job.emit({ type: "agent.delta", text: "Partial answer from a dying worker" });
        await new Promise(() => undefined);
      },
      { concurrency: 1 },
    );
    worker.start();
    try {
      const requestId = await submit(runQueue, "How is Chelsea's form?");
      const chunks = await frames(runQueue, requestId);
      assert.equal(chunks[0]!.type, "agent.delta");
      assert.deepEqual(chunks[1], { type: "agent.restart", attempt: 2, seq: 2 });
      assert.deepEqual(
        chunks.map((c) => c.seq),
        chunks.map((_, i) => i + 1),
      );
      const chelsea = teamForm(epl, "Chelsea FC", 5);
      assert.ok(textOf(chunks.slice(2)).includes(`Chelsea have taken ${chelsea.points} of 15 points`));
      assert.equal(stopOf(chunks), "end_turn");
    } finally {
      await close();
    }
  });

  test("a draining worker hands a run it cannot finish in time to another worker, which completes it once", async () => {
    const { runQueue, worker, makeWorker, close } = setup({ tokenDelayMs: 20 });
    const next = makeWorker();
    worker.start();
    try {
      const requestId = await submit(runQueue, "Scout Liverpool v Arsenal", "eplScoutAgent");
      const chunks: AgentChunk[] = [];
      const watched = (async () => {
        for await (const chunk of runQueue.watch(requestId, 0)) chunks.push(chunk);
      })();
      await until(() => chunks.some((c) => c.type === "agent.delta"), 5000, "the run's first text");
      const stopping = Date.now();
      await worker.stop({ handOverAfterMs: 50 });
      // The drain ended at the hand-over, long before the run would have, and did not end the run.
      assert.ok(Date.now() - stopping < 1000, `stop took ${Date.now() - stopping} ms`);
      assert.equal(worker.active, 0);
      assert.ok(!chunks.some((c) => c.type === "agent.done" || c.type === "agent.error"), "no end yet");
      const before = chunks.length;
      next.start();
      await watched;
      assert.deepEqual(
        chunks.map((c) => c.seq),
        chunks.map((_, i) => i + 1),
        "one stream: no seq written twice",
      );
      const restart = chunks[before];
      assert.equal(restart?.type === "agent.restart" && restart.attempt, 2);
      assert.equal(chunks.filter((c) => c.type === "agent.done" || c.type === "agent.error").length, 1);
      assert.equal(stopOf(chunks), "end_turn");
      const rest = textOf(chunks.slice(before));
      assert.ok(/Liverpool/.test(rest), rest);
    } finally {
      await next.stop();
      await close();
    }
  });

  test("a worker stopped without a hand-over deadline lets its run finish", async () => {
    const { runQueue, worker, close } = setup({ tokenDelayMs: 5 });
    worker.start();
    try {
      const requestId = await submit(runQueue, "Scout Liverpool v Arsenal", "eplScoutAgent");
      const chunks: AgentChunk[] = [];
      const watched = (async () => {
        for await (const chunk of runQueue.watch(requestId, 0)) chunks.push(chunk);
      })();
      await until(() => chunks.some((c) => c.type === "agent.delta"), 5000, "the run's first text");
      await worker.stop({ handOverAfterMs: 60_000 });
      await watched;
      assert.ok(!chunks.some((c) => c.type === "agent.restart"));
      assert.equal(stopOf(chunks), "end_turn");
    } finally {
      await close();
    }
  });

  test("a transient model fault before any output is retried on a new delivery", async () => {
    const offline = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
    let calls = 0;
    const flaky: ModelProvider = {
      stream(request, signal) {
        calls += 1;
        if (calls === 1) throw new AppError("unavailable", "the model is busy or unreachable; try again");
        return offline.stream(request, signal);
      },
    };
    const { runQueue, worker, close } = setup({ provider: flaky });
    worker.start();
    try {
      const chunks = await frames(
        runQueue,
        await submit(runQueue, "How does settlement work?", "supportAgent"),
      );
      assert.deepEqual(chunks[0], { type: "agent.restart", attempt: 2, seq: 1 });
      assert.equal(chunks.filter((c) => c.type === "agent.error").length, 0);
      assert.ok(textOf(chunks).includes("1.00 credit"));
      assert.equal(stopOf(chunks), "end_turn");
    } finally {
      await close();
    }
  });

  test("a model fault after output ends the run with agent.error", async () => {
    const halfway: ModelProvider = {
      async *stream() {
        yield { type: "text", text: "Settlement happens" };
        throw new AppError("unavailable", "the model is busy or unreachable; try again");
      },
    };
    const { runQueue, worker, close } = setup({ provider: halfway });
    worker.start();
    try {
      const chunks = await frames(
        runQueue,
        await submit(runQueue, "How does settlement work?", "supportAgent"),
      );
      assert.deepEqual(
        chunks.map(({ seq, ...frame }) => frame),
        [
          { type: "agent.delta", text: "Settlement happens" },
          {
            type: "agent.error",
            code: "unavailable",
            message: "the model is busy or unreachable; try again",
            retryable: true,
          },
        ],
      );
    } finally {
      await close();
    }
  });

  test("cancelling a run ends it with agent.done cancelled", async () => {
    const { runQueue, worker, close } = setup({ tokenDelayMs: 20 });
    worker.start();
    try {
      const requestId = await submit(runQueue, "Show me the whole league table");
      const chunks: AgentChunk[] = [];
      for await (const chunk of runQueue.watch(requestId, 0)) {
        chunks.push(chunk);
        if (chunk.type === "agent.delta" && chunks.filter((c) => c.type === "agent.delta").length === 1) {
          await runQueue.cancel(requestId);
        }
      }
      assert.equal(stopOf(chunks), "cancelled");
      assert.ok(textOf(chunks).split(/\s+/).length < 30, "stopped long before the table's end");
    } finally {
      await close();
    }
  });

  test("no more runs than workerConcurrency run at once", async () => {
    const offline = createOfflineProvider({ dataset: epl, tokenDelayMs: 2 });
    let open = 0;
    let most = 0;
    const counting: ModelProvider = {
      async *stream(request, signal) {
        open += 1;
        most = Math.max(most, open);
        try {
          yield* offline.stream(request, signal);
        } finally {
          open -= 1;
        }
      },
    };
    const { runQueue, worker, close } = setup({ concurrency: 3, provider: counting });
    worker.start();
    try {
      const ids = await Promise.all(
        [
          "Arsenal",
          "Chelsea",
          "Everton",
          "Fulham",
          "Brentford",
          "Burnley",
          "Leeds",
          "Spurs",
          "Wolves",
          "Villa",
        ].map((team) => submit(runQueue, `How is ${team} doing?`)),
      );
      const runs = await Promise.all(ids.map((id) => frames(runQueue, id)));
      assert.ok(runs.every((chunks) => stopOf(chunks) === "end_turn"));
      assert.equal(most, 3);
    } finally {
      await close();
    }
  });

  test("50 concurrent runs of 50 users each see only their own user and request", async () => {
    const whoAmI = createTool({
      name: "whoAmI",
      description: "The user asking.",
      input: T.Object({}),
      async run(_input, ctx) {
        return { userId: ctx.userId, tier: ctx.tier };
      },
    });
    const whoAmISkill: OfflineSkill = {
      tool: "whoAmI",
      topic: "who is asking",
      plan: () => [{}],
      write: (findings) =>
        findings.map((f) => `This answer is for ${(f.output as { userId: string }).userId}.`),
    };
    const pool: AgentPool = new Map([
      [
        "eplScoutAgent",
        createAgent({ name: "eplScoutAgent", instructions: "Scout.", tools: [whoAmI, getTeamFormTool] }),
      ],
    ]);
    const provider = createOfflineProvider({
      dataset: epl,
      tokenDelayMs: 1,
      skills: [...offlineSkills, whoAmISkill],
    });
    const { runQueue, worker, close } = setup({ concurrency: 64, provider, pool, coalesceMs: 5 });
    worker.start();
    try {
      const teams = standings(epl, "2025-26").map((r) => r.team);
      const asks = Array.from({ length: 50 }, (_, i) => ({
        userId: `user-${randomUUID()}`,
        team: teams[i % teams.length]!,
        count: 2 + Math.floor(i / teams.length),
      }));
      const ids = await Promise.all(
        asks.map((a) =>
          submit(
            runQueue,
            `How have ${shortName(a.team)} done in their last ${a.count} matches?`,
            "eplScoutAgent",
            a.userId,
          ),
        ),
      );
      const runs = await Promise.all(ids.map((id) => frames(runQueue, id)));
      for (const [i, chunks] of runs.entries()) {
        const { userId, team, count } = asks[i]!;
        const text = textOf(chunks);
        assert.ok(text.includes(`This answer is for ${userId}.`), text);
        assert.ok(
          text.includes(
            `${shortName(team)} have taken ${teamForm(epl, team, count).points} of ${count * 3} points`,
          ),
          text,
        );
        for (const other of asks) if (other.userId !== userId) assert.ok(!text.includes(other.userId));
        const formCall = chunks.find(
          (c) => c.type === "agent.tool" && c.name === "getTeamForm" && c.status === "started",
        );
        assert.deepEqual(formCall?.type === "agent.tool" && formCall.input, { team: shortName(team), count });
        assert.equal(stopOf(chunks), "end_turn");
      }
    } finally {
      await close();
    }
  });
});
