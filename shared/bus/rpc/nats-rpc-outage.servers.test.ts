import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { type OwnedServer, startNatsServer } from "../../../test/support/owned-servers.js";
import { until } from "../../../test/support/polling.js";
import { AppError } from "../../errors.js";
import { connectNats } from "../nats/nats-connection.js";
import { createNatsRpc } from "./nats-rpc.js";
import type { Rpc } from "./rpc.js";

/**
 * NATS killed (-9) and restarted under requests, as a gateway calls the exchange: while it is
 * gone every request answers `unavailable` at once (before, each waited out its 5 s timeout in
 * the client's buffer), and once it is back the served subject answers again within 2 s, on the
 * same connections, without a restart of either side.
 */
let nats: OwnedServer;
let connections: NatsConnection[];
let client: Rpc;
let server: Rpc;

before(async () => {
  nats = await startNatsServer();
  connections = await Promise.all([
    connectNats({ natsUrl: nats.url }, "rpc-outage-client"),
    connectNats({ natsUrl: nats.url }, "rpc-outage-server"),
  ]);
  client = createNatsRpc(connections[0]!, { subjectPrefix: "outage." });
  server = createNatsRpc(connections[1]!, { subjectPrefix: "outage." });
  server.serve("echo", "echo", async (payload) => payload);
  await connections[1]!.flush();
});
after(async () => {
  await Promise.all([client.close(), server.close()]);
  await Promise.all(connections.map((nc) => nc.close()));
  await nats.stop();
});

test("requests answer unavailable at once while NATS is gone, and are served within 2 s of its return", async () => {
  assert.equal(await client.request("echo", "before"), "before");
  await nats.kill("SIGKILL");
  await until(
    async () => {
      const started = performance.now();
      const answer = await client.request("echo", "down", { timeoutMs: 5_000 }).catch((err: unknown) => err);
      return answer instanceof AppError && answer.code === "unavailable" && performance.now() - started < 100;
    },
    10_000,
    "requests refused at once",
  );
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await assert.rejects(client.request("echo", i, { timeoutMs: 5_000 }), { code: "unavailable" });
    assert.ok(performance.now() - started < 100, "answered without waiting for the timeout");
  }

  await nats.restart();
  const back = performance.now();
  await until(
    async () => (await client.request("echo", "after").catch(() => undefined)) === "after",
    2_000,
    "an answer",
  );
  assert.ok(performance.now() - back <= 2_000);
});
