import assert from "node:assert/strict";
import { test } from "node:test";
import { startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

test("closing the app drains: every socket is closed with 1012 and new upgrades are refused", async () => {
  const gw = await startGateway();
  const clients = await Promise.all(["a", "b", "c"].map((u) => TestClient.connect(gw.wsUrl, tokenFor(u))));
  const closing = gw.close();
  const codes = await Promise.all(clients.map((c) => c.waitClose()));
  assert.deepEqual(
    codes.map((c) => c.code),
    [1012, 1012, 1012],
  );
  await closing;
  await assert.rejects(TestClient.open(gw.wsUrl, { token: tokenFor("late") }));
});
