import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { until } from "../../../test/support/polling.js";
import type { AgentChunk } from "../../protocol/agent-frames.js";
import { connectNats } from "../nats/nats-connection.js";
import { createNatsRunQueue } from "./nats-run-queue.js";
import { clientRunKey, runNames } from "./nats-run-streams.js";
import { runQueueContract } from "./run-queue.contract.js";
import type { AgentRunRequest, RunJob, RunQueue, RunWatch } from "./run-queue.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

runQueueContract("nats", async (options) => {
  const id = randomBytes(4).toString("hex");
  const streamPrefix = `T${id}_`;
  const subjectPrefix = `t${id}.`;
  const opened: { nc: NatsConnection; queue: RunQueue }[] = [];
  return {
    // Each open is another process: its own connection to the same streams.
    async open() {
      const nc = await connectNats({ natsUrl }, `run-queue-test-${id}`);
      const queue = await createNatsRunQueue(nc, { ...options, streamPrefix, subjectPrefix });
      opened.push({ nc, queue });
      return queue;
    },
    async dispose() {
      for (const { queue } of opened) await queue.close();
      const nc = opened[0]?.nc;
      if (nc !== undefined) {
        const jsm = await jetstreamManager(nc);
        for (const stream of runNames(streamPrefix, subjectPrefix).streams) {
          await jsm.streams.delete(stream).catch(() => false);
        }
      }
      await Promise.all(opened.map(({ nc }) => nc.close()));
    },
  };
});

describe("JetStream details", () => {
  const id = randomBytes(4).toString("hex");
  const names = runNames(`T${id}_`, `t${id}.`);
  const options = {
    dedupeWindowMs: 60_000,
    // Long: the periodic check for runs due again (every 5 s then) must not be what starts a run.
    ackWaitMs: 30_000,
    maxDeliver: 3,
    queueMax: 100,
    outMaxAgeMs: 60_000,
    streamPrefix: `T${id}_`,
    subjectPrefix: `t${id}.`,
  };
  let nc: NatsConnection;
  let queue: RunQueue;
  before(async () => {
    nc = await connectNats({ natsUrl }, `run-out-test-${id}`);
    queue = await createNatsRunQueue(nc, options);
  });
  after(async () => {
    await queue.close();
    const jsm = await jetstreamManager(nc);
    for (const stream of names.streams) await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });

  test("frames a worker emits in one turn share one stored message; a resume reads them all", async () => {
    const request = runRequest();
    await queue.submit(request);
    const consumer = queue.consume(
      async (job) => {
        const first = [
          job.emit({ type: "agent.tool", callId: "t1", name: "getStandings", status: "started" }),
          job.emit({ type: "agent.tool", callId: "t1", name: "getStandings", status: "finished" }),
        ];
        await Promise.all(first);
        await Promise.all([
          job.emit({ type: "agent.delta", text: "Arsenal lead." }),
          job.emit({
            type: "agent.done",
            stopReason: "end_turn",
            usage: { inputTokens: 1, outputTokens: 2 },
          }),
        ]);
        await job.ack();
      },
      { concurrency: 1 },
    );
    const watched = await readAll(queue.watch(request.requestId, 0));
    await consumer.stop();
    assert.deepEqual(
      watched.map((c) => `${c.seq}:${c.type}`),
      ["1:agent.tool", "2:agent.tool", "3:agent.delta", "4:agent.done"],
    );
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(names.outStream, {
      subjects_filter: names.outSubject(request.requestId),
    });
    assert.equal(info.state.subjects?.[names.outSubject(request.requestId)], 2, "two turns, two messages");
    // A resume from the middle of the first message gets the rest, once each.
    const resumed = await readAll(queue.watch(request.requestId, 1));
    assert.deepEqual(
      resumed.map((c) => c.seq),
      [2, 3, 4],
    );
    assert.equal(await queue.lastSeq(request.requestId), 4);
  });

  test("a run sent under a client's frame id is recorded for repeats; an HTTP run, its own id, is not", async () => {
    const http = { ...runRequest(), userId: "u-http" };
    http.clientId = http.requestId;
    const framed = runRequest();
    await queue.submit(http);
    await queue.submit(framed);
    const consumer = queue.consume(finishRun, { concurrency: 1 });
    await Promise.all([readAll(queue.watch(http.requestId, 0)), readAll(queue.watch(framed.requestId, 0))]);
    await consumer.stop();
    const jsm = await jetstreamManager(nc);
    const recorded = async () =>
      (await jsm.streams.info(`KV_${names.runsBucket}`, { subjects_filter: ">" })).state.subjects ?? {};
    const keyOf = (r: AgentRunRequest) => `$KV.${names.runsBucket}.${clientRunKey(r)}`;
    // The gateway's and the worker's records of both runs went out on this connection in order.
    await until(async () => keyOf(framed) in (await recorded()), 3000, "the framed run's record");
    assert.ok(!(keyOf(http) in (await recorded())), "no record of the HTTP run");
  });

  test("a worker with no free slot hands the news of a run on, then runs it as soon as a slot frees", async () => {
    const notices: string[] = [];
    const observer = nc.subscribe(names.wakeWildcard, {
      callback: (_err, msg) => {
        notices.push(msg.subject);
      },
    });
    const started: string[] = [];
    let finishFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => {
      finishFirst = resolve;
    });
    const first = runRequest();
    const second = runRequest();
    const consumer = queue.consume(
      async (job) => {
        started.push(job.request.requestId);
        if (job.request.requestId === first.requestId) await firstHeld;
        await finishRun(job);
      },
      { concurrency: 1 },
    );
    try {
      await queue.submit(first);
      await until(() => started.length === 1, 3000, "the first run started");
      await queue.submit(second);
      // The only worker is full: it hands the news on (to itself, the group's only member) until
      // the limit, then keeps it.
      await until(() => notices.length === 5, 3000, "five notices");
      assert.deepEqual(
        notices.map((subject) => subject.split(".").at(-3)),
        ["1", "2", "3", "4", "5"],
      );
      assert.deepEqual(started, [first.requestId]);
      const freedAt = Date.now();
      finishFirst();
      await until(() => started.length === 2, 3000, "the second run started");
      assert.equal(started[1], second.requestId);
      assert.ok(Date.now() - freedAt < 1000, "started by its kept notice, not by the 5 s check");
    } finally {
      finishFirst();
      await consumer.stop();
      observer.unsubscribe();
    }
  });

  /** Every run acked: what a repeat then finds is only the runs bucket's record. */
  async function untilRequestStreamEmpty(): Promise<void> {
    const jsm = await jetstreamManager(nc);
    await until(
      async () => (await jsm.streams.info(names.reqStream("pro"))).state.messages === 0,
      5000,
      "the request stream to empty",
    );
  }

  test("a repeat of a client id finds the first run after it ended and left its stream", async () => {
    const first = runRequest();
    const consumer = queue.consume((job) => job.ack(), { concurrency: 1 });
    await queue.submit(first);
    await untilRequestStreamEmpty();
    await consumer.stop();
    const again = await queue.submit({ ...first, requestId: "again" });
    assert.deepEqual(again, { requestId: first.requestId, duplicate: true });
  });

  test("a submit whose answer was lost: sending the id again attaches to the run it stored", async () => {
    const first = runRequest();
    // What such a submit leaves: its run stored under the client id, and no record of its id.
    await jetstream(nc).publish(names.reqSubject(first.agent, first.tier), JSON.stringify(first), {
      msgID: clientRunKey(first),
    });
    const again = await queue.submit({ ...first, requestId: "again" });
    assert.deepEqual(again, { requestId: first.requestId, duplicate: true });
  });

  test("a gateway killed right after storing a run: once the run ends, sending the id again still finds it", async () => {
    const first = runRequest();
    // The run stored, its gateway dead before its own record of the id went out, the run done.
    await jetstream(nc).publish(names.reqSubject(first.agent, first.tier), JSON.stringify(first), {
      msgID: clientRunKey(first),
    });
    const consumer = queue.consume((job) => job.ack(), { concurrency: 1 });
    await untilRequestStreamEmpty();
    await consumer.stop();
    const again = await queue.submit({ ...first, requestId: "again" });
    assert.deepEqual(again, { requestId: first.requestId, duplicate: true });
  });

  test("the same client id sent through two gateways at once starts one run", async () => {
    const otherNc = await connectNats({ natsUrl }, `run-out-test-${id}-2`);
    const other = await createNatsRunQueue(otherNc, options);
    const jsm = await jetstreamManager(nc);
    const storedBefore = (await jsm.streams.info(names.reqStream("pro"))).state.messages;
    try {
      for (let i = 0; i < 10; i++) {
        const request = runRequest();
        const answers = await Promise.all([
          queue.submit(request),
          other.submit({ ...request, requestId: `${request.requestId}-b` }),
        ]);
        assert.equal(answers.filter((a) => !a.duplicate).length, 1);
        assert.equal(answers[0]!.requestId, answers[1]!.requestId);
      }
      assert.equal((await jsm.streams.info(names.reqStream("pro"))).state.messages, storedBefore + 10);
    } finally {
      await other.close();
      await otherNc.close();
    }
  });

  test("a chunk stored alone by the previous version is still read", async () => {
    const requestId = randomBytes(8).toString("hex");
    const js = jetstream(nc);
    await js.publish(
      names.outSubject(requestId),
      JSON.stringify({ type: "agent.delta", text: "hi", seq: 1 }),
    );
    await js.publish(
      names.outSubject(requestId),
      JSON.stringify([
        { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 1 }, seq: 2 },
      ]),
    );
    const chunks = await readAll(queue.watch(requestId, 0));
    assert.deepEqual(
      chunks.map((c) => `${c.seq}:${c.type}`),
      ["1:agent.delta", "2:agent.done"],
    );
  });
});

function runRequest(): AgentRunRequest {
  return {
    v: 1,
    requestId: randomBytes(8).toString("hex"),
    clientId: randomBytes(8).toString("hex"),
    userId: "u-out",
    tier: "pro",
    agent: "leagueStatsAgent",
    input: "who leads?",
    submittedAt: Date.now(),
  };
}

/** A run done at once: its terminal chunk, then the ack that takes it out of the stream. */
async function finishRun(job: RunJob): Promise<void> {
  await job.emit({ type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 0, outputTokens: 0 } });
  await job.ack();
}

async function readAll(watch: RunWatch): Promise<AgentChunk[]> {
  const chunks: AgentChunk[] = [];
  const timer = setTimeout(() => watch.close(), 5000);
  for await (const chunk of watch) chunks.push(chunk);
  clearTimeout(timer);
  return chunks;
}
