import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { type OwnedServer, startNatsServer } from "../../../test/support/owned-servers.js";
import { until } from "../../../test/support/polling.js";
import { AppError } from "../../errors.js";
import { connectNats, trackNatsHealth } from "./nats-connection.js";
import { createNatsReplies, type NatsReplies } from "./nats-replies.js";

/**
 * Requests while the NATS server is gone: a caller (a trade, a run's output) must hear
 * `unavailable` at once and retry, not wait out its timeout on a message nats.js buffered and
 * may never deliver — the fault suite saw trades stall 5 s after a NATS restart this way.
 */
describe("replies while the NATS server is down (a server of its own, killed)", () => {
  let nats: OwnedServer;
  let client: NatsConnection;
  let server: NatsConnection;
  let replies: NatsReplies;

  before(async () => {
    nats = await startNatsServer();
    [client, server] = await Promise.all([
      connectNats({ natsUrl: nats.url }, "replies-test-client"),
      connectNats({ natsUrl: nats.url }, "replies-test-server"),
    ]);
    server.subscribe("echo", {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    await server.flush();
    replies = createNatsReplies(client, { what: "echo", closedMessage: "closed" });
  });

  after(async () => {
    replies?.close();
    await Promise.all([client?.close(), server?.close()]);
    await nats?.stop();
  });

  test("a request made while disconnected answers unavailable at once; after the restart requests are answered", async () => {
    assert.equal((await replies.request("echo", "before")).string(), "before");
    const health = trackNatsHealth(client);
    await nats.kill("SIGKILL");
    await until(() => !health.connected, 5000, "the client to notice the server is gone");

    const startedAt = Date.now();
    await assert.rejects(
      replies.request("echo", "during", { timeoutMs: 5000 }),
      (err: unknown) => err instanceof AppError && err.code === "unavailable",
    );
    const waitedMs = Date.now() - startedAt;
    assert.ok(waitedMs < 500, `answered after ${waitedMs} ms, not after its 5 s timeout`);

    await nats.restart();
    await until(
      () =>
        replies.request("echo", "after", { timeoutMs: 500 }).then(
          (msg) => msg.string() === "after",
          () => false,
        ),
      5000,
      "a request answered after the restart",
    );
  });
});
