import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { countSocketWrites } from "../../net/socket-writes.js";
import { connectNats } from "./nats-connection.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** The connection's current socket (nats.js keeps it private). */
function socketOf(nc: NatsConnection): Socket {
  return (nc as unknown as { protocol: { transport: { socket: Socket } } }).protocol.transport.socket;
}

test("a handler's publishes across awaits leave in one write and all arrive, in order", async () => {
  const subject = `batching.${randomBytes(4).toString("hex")}`;
  const [publisher, subscriber] = await Promise.all([
    connectNats({ natsUrl }, "batching-publisher"),
    connectNats({ natsUrl }, "batching-subscriber"),
  ]);
  try {
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      subscriber.subscribe(subject, {
        callback: (_err, msg) => {
          got.push(msg.string());
          if (got.length === 3) resolve();
        },
      });
    });
    await subscriber.flush();

    const writes = countSocketWrites(socketOf(publisher));
    // An exchange answering a trade: publish, await, publish, await, reply.
    for (const event of ["fill", "balance", "market"]) {
      publisher.publish(subject, event);
      await Promise.resolve();
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.count, 1, "nats.js alone writes after every microtask checkpoint: 3");
    await all;
    assert.deepEqual(got, ["fill", "balance", "market"]);
  } finally {
    await Promise.all([publisher.close(), subscriber.close()]);
  }
});

test("a request on an otherwise idle connection is answered without waiting for other work", async () => {
  const subject = `batching.${randomBytes(4).toString("hex")}`;
  const nc = await connectNats({ natsUrl }, "batching-idle");
  try {
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond("pong");
      },
    });
    const reply = await nc.request(subject, "ping", { timeout: 1000 });
    assert.equal(reply.string(), "pong");
  } finally {
    await nc.close();
  }
});
