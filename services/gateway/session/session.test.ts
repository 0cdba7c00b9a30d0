import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createMemoryRunQueue } from "../../../shared/bus/run-queue/memory-run-queue.js";
import type { RunJob, RunQueue } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import { createLogger } from "../../../shared/logger.js";
import { pause, until, untilFound } from "../../../test/support/polling.js";
import { createRunIds } from "../agent-runs/run-ids.js";
import type { Claims, TokenVerifier } from "../auth/claims.js";
import { createGatewayMetrics } from "../metrics.js";
import { createSessionHandlers } from "../session-handlers.js";
import type { Frame } from "../testing/ws-client.js";
import type { SessionHandlers } from "./frame-handlers.js";
import { createHeartbeat } from "./heartbeat.js";
import { Session, type SessionDeps } from "./session.js";
import type { SocketLike } from "./socket-like.js";

/** A socket whose unsent bytes the test controls: nothing is ever "flushed" unless it says so. */
class FakeSocket implements SocketLike {
  readonly sent: Frame[] = [];
  closedWith: { code: number; reason: string } | undefined;
  bufferedAmount = 0;
  pings = 0;
  holdBytes = false;

  cork() {}
  send(text: string) {
    if (this.closedWith !== undefined) return;
    this.sent.push(JSON.parse(text));
    if (this.holdBytes) this.bufferedAmount += Buffer.byteLength(text);
  }
  close(code: number, reason: string) {
    this.closedWith ??= { code, reason };
  }
  ping() {
    this.pings += 1;
  }
}

const claims = (sub: string): Claims => {
  const now = Math.floor(Date.now() / 1000);
  return { sub, tier: "free", iat: now, exp: now + 3600 };
};

const refuseAll: TokenVerifier = {
  verify() {
    throw new Error("not used");
  },
};

describe("Session over a fake socket", () => {
  let runQueue: RunQueue;
  let deps: SessionDeps;
  const released: (() => void)[] = [];
  before(() => {
    runQueue = createMemoryRunQueue();
    const metrics = createGatewayMetrics();
    deps = {
      gatewayId: "gw-unit",
      heartbeatMs: 1000,
      heartbeat: createHeartbeat(1000),
      maxBufferedBytes: 2000,
      frameRate: { perSecond: 50, burst: 100 },
      tokens: refuseAll,
      metrics,
      logger: createLogger({ logLevel: "silent" }),
      handlers: createSessionHandlers({
        agentRuns: { runQueue, runIds: createRunIds("session-test-secret"), metrics, maxRunsPerSocket: 4 },
      }),
    };
    // Each run streams 50 deltas of 100 characters once the test releases it.
    runQueue.consume(
      async (job: RunJob) => {
        await new Promise<void>((resolve) => released.push(resolve));
        for (let i = 0; i < 50; i++) await job.emit({ type: "agent.delta", text: `${i}`.padEnd(100, ".") });
        await job.emit({
          type: "agent.done",
          stopReason: "end_turn",
          usage: { inputTokens: 1, outputTokens: 50 },
        });
        await job.ack();
      },
      { concurrency: 8 },
    );
  });
  after(() => runQueue.close());

  test("a socket that cannot keep up gets slow_consumer and close 4008, with no agent frame skipped before", async () => {
    const socket = new FakeSocket();
    const session = new Session(socket, claims("slow"), deps);
    session.start();
    socket.holdBytes = true;
    session.receive(
      JSON.stringify({ type: "agent.run", id: "r", agent: "supportAgent", input: "long answer" }),
    );
    await until(() => released.length > 0, 3000, "the run to reach the worker");
    released.shift()?.();
    await untilFound(() => socket.closedWith, 3000, "the slow socket to close");
    assert.equal(socket.closedWith?.code, 4008);
    const error = socket.sent.at(-1);
    assert.deepEqual([error?.type, error?.code], ["error", "slow_consumer"]);
    const seqs = socket.sent.filter((f) => f.type === "agent.delta").map((f) => f.seq);
    assert.ok(seqs.length > 0 && seqs.length < 50, `some deltas were sent before the close (${seqs.length})`);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
    );
    assert.ok(session.isClosed);
  });

  test("the same run id sent twice while the run streams is accepted twice with one requestId and relayed once", async () => {
    const socket = new FakeSocket();
    const session = new Session(socket, claims("twice"), deps);
    session.start();
    const frame = JSON.stringify({ type: "agent.run", id: "same", intent: "help", input: "hi" });
    session.receive(frame);
    session.receive(frame);
    await until(() => released.length > 0, 3000, "the run to reach the worker");
    released.shift()?.();
    await untilFound(() => socket.sent.find((f) => f.type === "agent.done"), 3000, "the run to finish");
    const accepted = socket.sent.filter((f) => f.type === "agent.accepted");
    assert.equal(accepted.length, 2);
    assert.equal(accepted[0]?.requestId, accepted[1]?.requestId);
    assert.equal(socket.sent.filter((f) => f.type === "agent.delta").length, 50);
    assert.equal(released.length, 0, "only one run reached the worker");
    session.close(1000, "done");
  });

  test("pings every heartbeat while the peer answers, and closes 1001 once it stops", async () => {
    const socket = new FakeSocket();
    const session = new Session(socket, claims("beat"), {
      ...deps,
      heartbeatMs: 100,
      heartbeat: createHeartbeat(100),
    });
    let answering = true;
    socket.ping = () => {
      socket.pings += 1;
      if (answering) session.heard();
    };
    session.start();
    await until(() => socket.pings >= 4, 2000, "four pings");
    assert.equal(socket.closedWith, undefined, "an answering peer stays");
    answering = false;
    const stoppedAt = Date.now();
    const closed = await untilFound(() => socket.closedWith, 2000, "the silent peer to close");
    assert.equal(closed.code, 1001);
    assert.ok(Date.now() - stoppedAt >= 150, "not before two heartbeats of silence");
    const pings = socket.pings;
    // A silence of more than two heartbeats in which no ping may go out.
    await pause(250);
    assert.equal(socket.pings, pings, "no pings after the close");
  });

  test("a token expiring many heartbeats after the welcome closes 4001 at its expiry, not before", async () => {
    const socket = new FakeSocket();
    const now = Date.now();
    // At least 1.2 s away in whole seconds: more than two 100 ms heartbeats when the session starts.
    const exp = Math.ceil((now + 1200) / 1000);
    const session = new Session(
      socket,
      { sub: "expiring", tier: "free", iat: Math.floor(now / 1000), exp },
      { ...deps, heartbeatMs: 100, heartbeat: createHeartbeat(100) },
    );
    socket.ping = () => session.heard();
    session.start();
    const closed = await untilFound(() => socket.closedWith, 3000, "the expiry close");
    assert.equal(closed.code, 4001);
    assert.ok(Date.now() >= exp * 1000, "not before the token's exp");
  });

  test("feature frames go to the handlers the app gave the session, a failing one answers its frame's error, and they close with it", async () => {
    const handled: string[] = [];
    let closed = 0;
    const handlers: SessionHandlers = (session) => {
      const record = (frame: { type: string; id: string }) => {
        handled.push(`${frame.type} ${frame.id}`);
      };
      return {
        "agent.run": record,
        "agent.cancel": record,
        "agent.resume": record,
        "agent.confirm.reply": record,
        subscribe: record,
        unsubscribe: record,
        quote: async (frame) => {
          record(frame);
          throw new AppError("unavailable", `not now, ${session.claims.sub}`);
        },
        trade: record,
        close: () => {
          closed += 1;
        },
      };
    };
    const socket = new FakeSocket();
    const session = new Session(socket, claims("own"), { ...deps, handlers });
    session.start();
    session.receive(JSON.stringify({ type: "unsubscribe", id: "u", channels: ["scores"] }));
    session.receive(
      JSON.stringify({ type: "quote", id: "q", marketId: "m", outcome: "home", side: "buy", shares: 5 }),
    );
    session.receive(JSON.stringify({ type: "ping", id: "p" }));
    const error = await untilFound(
      () => socket.sent.find((f) => f.type === "error"),
      3000,
      "the quote's error",
    );
    assert.deepEqual([error.id, error.code, error.message], ["q", "unavailable", "not now, own"]);
    assert.deepEqual(handled, ["unsubscribe u", "quote q"]);
    assert.ok(
      socket.sent.some((f) => f.type === "pong" && f.id === "p"),
      "ping is the session's own",
    );
    assert.equal(closed, 0);
    session.close(1000, "done");
    assert.equal(closed, 1);
    assert.equal(socket.closedWith?.code, 1000);
  });

  test("more agent streams than maxRunsPerSocket are refused with rate_limited", async () => {
    const socket = new FakeSocket();
    const session = new Session(socket, claims("many"), deps);
    session.start();
    for (let i = 0; i < 5; i++) {
      session.receive(JSON.stringify({ type: "agent.run", id: `m${i}`, agent: "walletAgent", input: "x" }));
    }
    const refused = await untilFound(() => socket.sent.find((f) => f.type === "error"), 3000, "a refusal");
    assert.deepEqual([refused.code, refused.id], ["rate_limited", "m4"]);
    await untilFound(
      () => (socket.sent.filter((f) => f.type === "agent.accepted").length === 4 ? true : undefined),
      3000,
      "four accepted runs",
    );
    session.close(1000, "done");
    for (const release of released.splice(0)) release();
  });
});
