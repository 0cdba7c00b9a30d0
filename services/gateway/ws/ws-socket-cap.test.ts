import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { retried } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

/** An upgrade request that passes the gate (good token) but that `ws` refuses: no Sec-WebSocket-Key. */
function brokenUpgrade(wsUrl: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(wsUrl.replace("ws:", "http:"), {
      headers: { connection: "Upgrade", upgrade: "websocket", authorization: `Bearer ${token}` },
    });
    req.once("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once("upgrade", () => reject(new Error("upgraded")));
    req.once("error", reject);
    req.end();
  });
}

describe("sockets per user (MAX_SOCKETS_PER_USER, default 10)", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway();
  });
  after(() => gw.close());

  test("the 11th socket of one user is refused with too_many_sockets; another user still connects", async () => {
    const token = tokenFor("hoarder");
    const held = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(gw.wsUrl, token)));
    const refused = await TestClient.refused(gw.wsUrl, { authorization: `Bearer ${token}` });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "too_many_sockets");
    assert.match(refused.body.error.message, /10/);

    const bystander = await TestClient.connect(gw.wsUrl, tokenFor("bystander"));
    // The held sockets were not disturbed by the refusal.
    held[0]!.send({ type: "ping", id: "still" });
    await held[0]!.take((f) => f.id === "still");

    // A closed socket gives its place back.
    held.pop()!.close();
    const again = await retried(() => TestClient.connect(gw.wsUrl, token), { timeoutMs: 3000 });
    for (const client of [...held, again, bystander]) client.close();
  });

  test("an admitted upgrade whose handshake fails gives its place back", async () => {
    const token = tokenFor("clumsy");
    for (let i = 0; i < 12; i++) assert.equal(await brokenUpgrade(gw.wsUrl, token), 400);
    const clients = await retried(
      () => Promise.all(Array.from({ length: 10 }, () => TestClient.connect(gw.wsUrl, token))),
      { timeoutMs: 3000 },
    );
    for (const client of clients) client.close();
  });
});
