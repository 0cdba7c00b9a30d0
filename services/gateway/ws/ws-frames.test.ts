import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

describe("WebSocket bad frames and limits", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ maxFrameBytes: 4096 });
  });
  after(() => gw.close());

  /** Sends `raw`, expects one error answer, then checks the socket still serves a ping. */
  async function expectError(client: TestClient, raw: string | Buffer) {
    client.socket.send(raw);
    const error = await client.take((f) => f.type === "error");
    client.send({ type: "ping", id: "alive" });
    await client.take((f) => f.type === "pong" && f.id === "alive");
    return error;
  }

  test("malformed JSON, unknown types and schema violations get an error and the socket stays open", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    const malformed = await expectError(client, "{not json");
    assert.equal(malformed.code, "bad_request");
    assert.equal(malformed.id, undefined);
    assert.equal(typeof malformed.message, "string");

    const unknown = await expectError(client, JSON.stringify({ type: "teleport", id: "t1" }));
    assert.deepEqual([unknown.code, unknown.id], ["unknown_type", "t1"]);

    const invalid = await expectError(
      client,
      JSON.stringify({ type: "agent.run", id: "r1", agent: "eplScoutAgent" }),
    );
    assert.deepEqual([invalid.code, invalid.id], ["bad_request", "r1"]);

    const extra = await expectError(client, JSON.stringify({ type: "ping", id: "p", surprise: 1 }));
    assert.deepEqual([extra.code, extra.id], ["bad_request", "p"]);

    const noTarget = await expectError(client, JSON.stringify({ type: "agent.run", id: "r2", input: "hi" }));
    assert.deepEqual([noTarget.code, noTarget.id], ["bad_request", "r2"]);

    const unknownAgent = await expectError(
      client,
      JSON.stringify({ type: "agent.run", id: "r3", agent: "skynetAgent", input: "hi" }),
    );
    assert.deepEqual([unknownAgent.code, unknownAgent.id], ["bad_request", "r3"]);
    client.close();
  });

  test("binary frames are refused with bad_request", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    const error = await expectError(client, Buffer.from([1, 2, 3]));
    assert.equal(error.code, "bad_request");
    client.close();
  });

  test("a frame over maxFrameBytes closes the socket with 1009", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    client.send({ type: "ping", id: "x".repeat(5000) });
    assert.equal((await client.waitClose()).code, 1009);
  });

  test("live channel frames answer unavailable for now", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    const frames = [
      { type: "subscribe", id: "s", channels: ["scores"] },
      { type: "unsubscribe", id: "u", channels: ["scores"] },
    ];
    for (const frame of frames) {
      const error = await expectError(client, JSON.stringify(frame));
      assert.deepEqual([error.code, error.id], ["unavailable", frame.id]);
    }
    client.close();
  });

  test("more than a burst of frames is rate limited with retryAfterMs; a flood closes 1008", async () => {
    const client = await TestClient.connect(gw.wsUrl, tokenFor("alice"));
    for (let i = 0; i < 120; i++) client.send({ type: "ping", id: `p${i}` });
    const limited = await client.take((f) => f.type === "error" && f.code === "rate_limited");
    assert.ok(
      limited.retryAfterMs > 0 && limited.retryAfterMs <= 1000,
      `retryAfterMs ${limited.retryAfterMs}`,
    );
    assert.match(limited.id, /^p\d+$/);
    const pongs = await client.take((f) => f.id === "p99");
    assert.equal(pongs.type, "pong", "the burst of 100 is served");
    assert.ok(client.isOpen);

    for (let i = 0; i < 300; i++) client.send({ type: "ping", id: `f${i}` });
    assert.equal((await client.waitClose()).code, 1008);
  });
});
