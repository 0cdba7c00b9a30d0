import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pause, until, untilFound } from "../../../test/support/polling.js";
import { freePort } from "../../../test/support/service-process.js";
import { AppError } from "../../errors.js";
import type { LiveChannel, LiveEvent, LiveStream, LiveTopic } from "./live-stream.js";
import { createNatsLiveStream } from "./nats-live-stream.js";

// The machine's NATS server is shared, so this suite restarts a server of its own.
const storeDir = mkdtempSync(join(tmpdir(), "live-restart-"));
let port = 0;
let server: ChildProcess | undefined;
const connections: NatsConnection[] = [];

async function startServer() {
  server = spawn("/usr/sbin/nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
    stdio: "ignore",
  });
  await until(
    () =>
      connect({ servers: `127.0.0.1:${port}`, reconnect: false }).then(
        (nc) => nc.close().then(() => true),
        () => false,
      ),
    10_000,
    "the NATS server to accept connections",
  );
}

async function stopServer() {
  const exited = new Promise((resolve) => server!.once("exit", resolve));
  server!.kill("SIGTERM");
  await exited;
}

async function open(): Promise<LiveStream> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  connections.push(nc);
  return createNatsLiveStream(nc, {
    streamPrefix: "R_",
    subjectPrefix: "r.",
    maxAgeMs: 60_000,
    maxMsgsPerTopic: 1000,
  });
}

before(async () => {
  port = await freePort();
  await startServer();
});

after(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await stopServer();
  rmSync(storeDir, { recursive: true, force: true });
});

test("a NATS server restart while publishing leaves subscribers without a gap or a duplicate", async () => {
  const [publisher, reader] = [await open(), await open()];
  const topics: LiveTopic[] = ["match.m1", "user.u1", "market.m1.1x2"];
  const channels: LiveChannel[] = ["match.*", "user.u1", "market.*"];
  const seen = new Map<LiveChannel, LiveEvent[]>(channels.map((c) => [c, []]));
  const subs = channels.map((channel) => reader.subscribe(channel, (e) => seen.get(channel)!.push(e)));
  const { epoch } = (await Promise.all(subs.map((s) => s.ready)))[0]!;

  let published = 0;
  const publishing = (async () => {
    for (let i = 0; i < 150; i++) {
      // A publish that fails while the server is down is retried; a retry after a lost ack may
      // store the event twice, which is why the check below compares with the log itself.
      for (;;) {
        try {
          await publisher.publish(topics[i % 3]!, { i });
          break;
        } catch {
          // A publisher's backoff while the server is down.
          await pause(20);
        }
      }
      published = i + 1;
    }
  })();
  await until(() => published >= 40, 3000, "40 events published");
  await stopServer();
  await startServer();
  // A publish in flight when the server died waits out its 5 s JetStream timeout before its retry.
  await publishing;

  for (const channel of channels) {
    // The reader's own connection may still be reconnecting: `unavailable` is retryable by contract.
    const stored = await untilAvailable(() => reader.history(channel, 0, epoch));
    assert.equal(stored.recovered, true, "the restart kept the stream and its epoch");
    await until(
      () => seen.get(channel)!.length >= stored.events.length,
      5000,
      `${channel}: every stored event`,
    );
    assert.deepEqual(
      seen.get(channel)!.map((e) => [e.seq, e.epoch, e.data]),
      stored.events.map((e) => [e.seq, e.epoch, e.data]),
    );
  }
  assert.ok(seen.get("user.u1")!.length >= 50);
  for (const sub of subs) sub.close();
});

/** Reads until `read` stops failing `unavailable` (retryable by contract), and returns what it read. */
async function untilAvailable<T>(read: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  return untilFound(
    () =>
      read().catch((err: unknown) => {
        if (err instanceof AppError && err.code === "unavailable") return undefined;
        throw err;
      }),
    timeoutMs,
    "a read that is not unavailable",
  );
}
