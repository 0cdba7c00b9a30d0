import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Harness, signToken, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

describe("WebSocket authentication and session basics", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ heartbeatMs: 200 });
  });
  after(() => gw.close());

  test("refuses the upgrade with 401 for a missing, forged or expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Record<string, string>, string][] = [
      ["missing", {}, gw.wsUrl],
      [
        "forged",
        {
          authorization: `Bearer ${signToken({ sub: "u1", tier: "free", iat: now, exp: now + 60 }, "not-the-secret-xxxxx")}`,
        },
        gw.wsUrl,
      ],
      [
        "expired",
        { authorization: `Bearer ${signToken({ sub: "u1", tier: "free", iat: now - 120, exp: now - 60 })}` },
        gw.wsUrl,
      ],
      [
        "expired, in the query",
        {},
        `${gw.wsUrl}?token=${signToken({ sub: "u1", tier: "free", iat: now - 120, exp: now - 60 })}`,
      ],
      [
        "bad claims",
        { authorization: `Bearer ${signToken({ sub: "bad user!", tier: "gold", iat: now, exp: now + 60 })}` },
        gw.wsUrl,
      ],
    ];
    for (const [name, headers, url] of cases) {
      const refused = await TestClient.refused(url, headers);
      assert.equal(refused.status, 401, name);
      assert.equal(refused.body.error.code, "unauthorized", name);
      assert.equal(typeof refused.body.error.message, "string", name);
    }
  });

  test("accepts a token in the header or in the query and sends welcome first", async () => {
    for (const options of [{ token: tokenFor("alice") }, { queryToken: tokenFor("alice") }]) {
      const client = await TestClient.open(gw.wsUrl, options);
      const welcome = await client.take(() => true);
      assert.equal(welcome.type, "welcome");
      assert.match(welcome.sessionId, /^[0-9a-f-]{36}$/);
      assert.equal(welcome.gatewayId, "gw-test");
      assert.equal(welcome.heartbeatMs, 200);
      assert.ok(Math.abs(Date.parse(welcome.serverTime) - Date.now()) < 5000);
      client.close();
    }
  });

  test("answers ping with pong echoing the id", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    client.send({ type: "ping", id: "p1" });
    const pong = await client.take((f) => f.type === "pong");
    assert.equal(pong.id, "p1");
    assert.ok(!Number.isNaN(Date.parse(pong.serverTime)));
    client.close();
  });

  test("sends WebSocket pings and closes a peer that stops answering them", async () => {
    const live = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    const silent = await TestClient.open(gw.wsUrl, { token: tokenFor("bob"), autoPong: false });
    const closed = await silent.waitClose(3000);
    assert.equal(closed.code, 1001);
    assert.ok(live.pings >= 2, "the answering peer was pinged");
    assert.ok(live.isOpen, "the answering peer stays connected");
    live.close();
  });

  test("a refresh with the same user's token answers auth.ok with the new expiry", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice", { ttlS: 60 }));
    const now = Math.floor(Date.now() / 1000);
    client.send({
      type: "auth",
      id: "a1",
      token: signToken({ sub: "alice", tier: "pro", iat: now, exp: now + 7200 }),
    });
    const ok = await client.take((f) => f.id === "a1");
    assert.deepEqual(ok, {
      type: "auth.ok",
      id: "a1",
      expiresAt: new Date((now + 7200) * 1000).toISOString(),
    });
    client.close();
  });

  test("a refresh with an invalid token is refused and the socket stays open", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    client.send({ type: "auth", id: "a2", token: "not.a.jwt" });
    const error = await client.take((f) => f.id === "a2");
    assert.equal(error.type, "error");
    assert.equal(error.code, "unauthorized");
    client.send({ type: "ping", id: "still-there" });
    await client.take((f) => f.type === "pong");
    client.close();
  });

  test("a refresh with another user's token is forbidden and closes 1008", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    client.send({ type: "auth", id: "a3", token: tokenFor("mallory") });
    const error = await client.take((f) => f.id === "a3");
    assert.equal(error.code, "forbidden");
    assert.equal((await client.waitClose()).code, 1008);
  });

  test("closes 4001 when the token expires without a refresh, and not before", async () => {
    const short = await TestClient.connect(gw.wsUrl, tokenFor("alice", { ttlS: 1 }));
    const refreshed = await TestClient.connect(gw.wsUrl, tokenFor("bob", { ttlS: 1 }));
    refreshed.send({ type: "auth", id: "r", token: tokenFor("bob", { ttlS: 60 }) });
    await refreshed.take((f) => f.type === "auth.ok");
    assert.equal((await short.waitClose(3000)).code, 4001);
    refreshed.send({ type: "ping", id: "after-expiry" });
    await refreshed.take((f) => f.id === "after-expiry");
    assert.ok(refreshed.isOpen);
    refreshed.close();
  });
});
