import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { pause, until } from "../../../test/support/polling.js";
import { AppError } from "../../errors.js";
import type { Rpc } from "./rpc.js";
import type { RpcLimits } from "./rpc-shedding.js";

/** Two processes' views of one bus (the same instance in memory); `dispose` closes both. */
export interface TestRpcBus {
  client: Rpc;
  server: Rpc;
  /** Resolves once the server's subscriptions so far are known to the bus. */
  settled(): Promise<void>;
  dispose(): Promise<void>;
}

/** The `Rpc` contract (rpc.ts), run against an adapter; `limits` apply to the server's side. */
export function rpcContract(name: string, makeBus: (limits?: RpcLimits) => Promise<TestRpcBus>): void {
  describe(`Rpc contract: ${name}`, () => {
    const buses: TestRpcBus[] = [];
    after(async () => {
      await Promise.all(buses.map((b) => b.dispose()));
    });
    async function open(limits?: RpcLimits): Promise<TestRpcBus> {
      const bus = await makeBus(limits);
      buses.push(bus);
      return bus;
    }

    test("a request gets the handler's reply, with payload and headers carried across", async () => {
      const { client, server, settled } = await open();
      const subject = `quote.${randomUUID()}`;
      server.serve(subject, "exchange", async (payload, headers) => ({
        echo: payload,
        trace: headers.traceparent,
      }));
      await settled();
      const reply = await client.request(
        subject,
        { shares: 5 },
        { headers: { traceparent: "00-abc-def-01" } },
      );
      assert.deepEqual(reply, { echo: { shares: 5 }, trace: "00-abc-def-01" });
    });

    test("an AppError thrown by the handler arrives typed; other faults arrive as internal", async () => {
      const { client, server, settled } = await open();
      const subject = `trade.${randomUUID()}`;
      server.serve(subject, "exchange", async (payload) => {
        if ((payload as { fail: string }).fail === "price") {
          throw new AppError("price_moved", "the price moved", { retryAfterMs: 250 });
        }
        throw new Error("database password is hunter2");
      });
      await settled();
      await assert.rejects(client.request(subject, { fail: "price" }), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, "price_moved");
        assert.equal(err.message, "the price moved");
        assert.equal(err.retryAfterMs, 250);
        return true;
      });
      await assert.rejects(client.request(subject, { fail: "crash" }), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, "internal");
        assert.ok(!err.message.includes("hunter2"), "internal details stay in the serving process");
        return true;
      });
    });

    test("no handler serving the subject, or none answering in time, is unavailable", async () => {
      const { client, server, settled } = await open();
      await assert.rejects(client.request(`nobody.${randomUUID()}`, {}), isCode("unavailable"));
      const slow = `slow.${randomUUID()}`;
      server.serve(slow, "exchange", () => pause(300).then(() => "late"));
      await settled();
      await assert.rejects(client.request(slow, {}, { timeoutMs: 50 }), isCode("unavailable"));
    });

    test("each request reaches one handler of a queue group", async () => {
      const { client, server, settled } = await open();
      const subject = `settle.${randomUUID()}`;
      const handledBy: string[] = [];
      for (const id of ["a", "b"]) {
        server.serve(subject, "exchange", async (payload) => {
          handledBy.push(id);
          return payload;
        });
      }
      await settled();
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request(subject, i)));
      assert.deepEqual(
        replies,
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.equal(handledBy.length, 20);
      assert.ok(handledBy.includes("a") && handledBy.includes("b"), "the group shares the load");
    });

    test("past its limits a server answers overloaded at once, and serves what it took", async () => {
      const { client, server, settled } = await open({ maxInFlight: 2, maxQueued: 1 });
      const subject = `trade.${randomUUID()}`;
      const started: number[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      server.serve(subject, "exchange", async (payload) => {
        started.push(payload as number);
        await released;
        return payload;
      });
      await settled();
      const outcomes = [0, 1, 2, 3, 4].map((i) =>
        client.request(subject, i).then(
          (reply) => ({ reply }),
          (err: unknown) => ({ code: err instanceof AppError ? err.code : String(err) }),
        ),
      );
      const refused = outcomes.slice(3);
      assert.deepEqual(await Promise.all(refused), [{ code: "overloaded" }, { code: "overloaded" }]);
      assert.deepEqual(started, [0, 1], "two in flight, one waiting");
      release();
      assert.deepEqual(await Promise.all(outcomes.slice(0, 3)), [{ reply: 0 }, { reply: 1 }, { reply: 2 }]);
    });

    test("a waiting request whose caller gave up is dropped, not handled", async () => {
      const { client, server, settled } = await open({ maxInFlight: 1, maxQueued: 10 });
      const subject = `trade.${randomUUID()}`;
      const handled: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      server.serve(subject, "exchange", async (payload) => {
        handled.push(payload as string);
        if (payload === "first") await released;
        return payload;
      });
      await settled();
      const first = client.request(subject, "first");
      await until(() => handled.length > 0, 2000, "the first request handled");
      // Its deadline counts from its arrival, a little after the caller's timer started: the first
      // request is released well past it, not the instant the caller gives up.
      await Promise.all([
        assert.rejects(client.request(subject, "impatient", { timeoutMs: 50 }), isCode("unavailable")),
        pause(100),
      ]);
      const patient = client.request(subject, "patient");
      release();
      assert.equal(await first, "first");
      assert.equal(await patient, "patient");
      assert.deepEqual(handled, ["first", "patient"]);
    });

    test("stop finishes the requests in flight, then the subject is no longer served", async () => {
      const { client, server, settled } = await open();
      const subject = `deposit.${randomUUID()}`;
      let started = false;
      const stop = server.serve(subject, "exchange", async () => {
        started = true;
        // Long beside until's polling: still running when stop is called below.
        await pause(200);
        return "done";
      });
      await settled();
      const reply = client.request(subject, {});
      await until(() => started, 2000, "the request in flight");
      await stop();
      assert.equal(await reply, "done");
      await settled();
      await assert.rejects(client.request(subject, {}, { timeoutMs: 500 }), isCode("unavailable"));
    });
  });
}

function isCode(code: string) {
  return (err: unknown) => err instanceof AppError && err.code === code;
}
