import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";
import { until } from "../support/polling.js";

/**
 * Scale-in, as the autoscalers do it: a pod removed from a running deployment gets SIGTERM
 * (infra/k8s: after the gateway's preStop sleep) and must drain within its grace period. Real
 * gateway and worker processes on the real NATS server; every assertion is on what a client or
 * a probe sees.
 */
let deployment: Deployment;

const wsUrl = (g: ServiceProcess) => `ws://127.0.0.1:${g.port}/ws`;

async function tokenFor(g: ServiceProcess, userId: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${g.port}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** Every frame of run `id` after those already taken, until its terminal frame. */
async function restOfRun(client: TestClient, id: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (;;) {
    const frame = await client.take((f) => f.id === id && f.type !== "agent.accepted", 30_000);
    frames.push(frame);
    if (frame.type === "agent.done" || frame.type === "agent.error") return frames;
  }
}

function assertOneStream(frames: Frame[]) {
  assert.deepEqual(
    frames.map((f) => f.seq),
    frames.map((_, i) => i + 1),
    "seq runs 1, 2, 3… with no gap and no frame twice",
  );
  assert.equal(frames.filter((f) => f.type === "agent.done" || f.type === "agent.error").length, 1);
  assert.equal(frames.at(-1)!.type, "agent.done");
  assert.equal(frames.at(-1)!.stopReason, "end_turn");
}

/** `/readyz` of a listener: its status and body, or `refused` once nothing listens. */
async function readyz(port: number | undefined): Promise<{ status: number | "refused"; body?: unknown }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: "refused" };
  }
}

/**
 * A WebSocket peer that completes the upgrade and then never answers anything, the close
 * handshake included: the gateway holds its drain open for it until `closeGraceMs`.
 */
function silentPeer(port: number, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        [
          "GET /ws HTTP/1.1",
          `Host: 127.0.0.1:${port}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
          "Sec-WebSocket-Version: 13",
          `Authorization: Bearer ${token}`,
          "",
          "",
        ].join("\r\n"),
      );
    });
    socket.once("data", (head) => {
      if (head.toString().startsWith("HTTP/1.1 101")) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.toString().split("\r\n")[0]}`));
    });
    socket.on("error", () => undefined);
  });
}

const opsPort = (p: ServiceProcess) => Number(/"ops":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(p.output())?.[1]);

before(async () => {
  deployment = createDeployment({ COALESCE_MS: "5" });
});

after(async () => {
  await deployment?.stop();
});

describe("scale-in drains", { concurrency: false }, () => {
  test("a worker removed mid-run is unready at once, hands the run over at WORKER_DRAIN_MS and exits 0; the run completes once on another worker", async () => {
    const gateway = await deployment.start("gateway");
    // The run streams for well over the drain: 60 ms a token.
    const leaving = await deployment.start("agent-worker", {
      OFFLINE_TOKEN_DELAY_MS: "60",
      WORKER_DRAIN_MS: "1500",
    });
    const client = await TestClient.connect(wsUrl(gateway), await tokenFor(gateway, "scout"));
    client.send({ type: "agent.run", id: "w1", agent: "eplScoutAgent", input: "Scout Liverpool v Arsenal" });
    await client.take((f) => f.type === "agent.accepted" && f.id === "w1");
    const first = await client.take((f) => f.id === "w1" && f.type === "agent.delta", 15_000);
    await deployment.start("agent-worker", { OFFLINE_TOKEN_DELAY_MS: "5" });

    const signalled = Date.now();
    leaving.kill("SIGTERM");
    await until(
      async () => (await readyz(opsPort(leaving))).status === 503,
      2000,
      "the worker to turn unready",
    );
    assert.deepEqual((await readyz(opsPort(leaving))).body, {
      error: { code: "unavailable", message: "draining" },
    });
    assert.equal(await leaving.exited, 0);
    const exitedAfter = Date.now() - signalled;
    assert.ok(exitedAfter < 6000, `the worker took ${exitedAfter} ms to leave`);

    const rest = await restOfRun(client, "w1");
    const frames = [first, ...rest];
    assertOneStream([...client.frames.filter((f) => f.id === "w1" && f.type !== "agent.accepted")]);
    const restart = frames.find((f) => f.type === "agent.restart");
    assert.ok(restart, "the client is told the run moved");
    assert.equal(restart.attempt, 2);
    // Handed over, not found by the ack deadline (AGENT_ACK_WAIT_MS, 10 s) after a kill.
    assert.match(leaving.output(), /"outcome":"handed_over"/);
    let text = "";
    for (const f of frames) {
      if (f.type === "agent.restart") text = "";
      if (f.type === "agent.delta") text += f.text;
    }
    assert.match(text, /Liverpool|Arsenal/);
    client.close();
  });

  test("a gateway removed mid-run is unready at once, closes every socket with 1012, refuses new ones, and its clients resume on another gateway", async () => {
    const [leaving, staying] = await Promise.all([deployment.start("gateway"), deployment.start("gateway")]);
    await deployment.start("agent-worker", { OFFLINE_TOKEN_DELAY_MS: "40" });
    const token = await tokenFor(leaving, "roamer");
    const client = await TestClient.connect(wsUrl(leaving), token);
    client.send({ type: "agent.run", id: "g1", agent: "eplScoutAgent", input: "Scout Liverpool v Arsenal" });
    const accepted = await client.take((f) => f.type === "agent.accepted" && f.id === "g1");
    const seen: Frame[] = [];
    while (seen.filter((f) => f.type === "agent.delta").length < 2) {
      seen.push(await client.take((f) => f.id === "g1" && f.type !== "agent.accepted", 15_000));
    }
    // Holds the drain open (up to closeGraceMs, 5 s) so the draining gateway can be observed.
    const silent = await silentPeer(leaving.port!, await tokenFor(leaving, "silent"));

    leaving.kill("SIGTERM");
    assert.equal((await client.waitClose(5000)).code, 1012);
    const ops = await readyz(leaving.metricsPort);
    assert.equal(ops.status, 503);
    assert.deepEqual(ops.body, { error: { code: "unavailable", message: "draining" } });
    assert.equal((await readyz(leaving.port)).status, 503);
    const refused = await TestClient.refused(wsUrl(leaving), { authorization: `Bearer ${token}` });
    assert.equal(refused.status, 503, "no new socket while draining");
    assert.equal(await leaving.exited, 0);
    silent.destroy();

    // docs/protocol.md: on 1012 reconnect and resume, here on the other gateway.
    const again = await TestClient.connect(wsUrl(staying), token);
    again.send({ type: "agent.resume", id: "g1", requestId: accepted.requestId, after: seen.at(-1)!.seq });
    const rest = await restOfRun(again, "g1");
    assertOneStream([...seen, ...rest]);
    assert.ok(!rest.some((f) => f.type === "agent.restart"), "the run itself never moved");
    again.close();
  });
});
