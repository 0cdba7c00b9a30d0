import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { createDeployment, type Deployment, type ServiceProcess } from "../support/deployment.js";

/**
 * Issue 2 end to end, distributed: two gateway processes, agent-worker processes and the real
 * NATS server, the offline model streaming with a small token delay so runs last long enough to
 * interrupt. Every assertion is on what a client sees over a real WebSocket.
 */
let deployment: Deployment;
let gateways: ServiceProcess[];
let firstWorker: ServiceProcess;

const wsUrl = (g: ServiceProcess) => `ws://127.0.0.1:${g.port}/ws`;

async function tokenFor(g: ServiceProcess, userId: string, tier: "free" | "pro" = "pro"): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${g.port}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** Every frame of one run (by frame id) until its terminal frame. */
async function collectRun(client: TestClient, id: string, timeoutMs = 20_000): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (;;) {
    const frame = await client.take((f) => f.id === id && f.type !== "agent.accepted", timeoutMs);
    frames.push(frame);
    if (frame.type === "agent.done" || frame.type === "agent.error") return frames;
  }
}

function textOf(frames: Frame[]): string {
  let text = "";
  for (const f of frames) {
    if (f.type === "agent.restart") text = "";
    if (f.type === "agent.delta") text += f.text;
  }
  return text;
}

function assertContiguous(frames: Frame[], from = 1) {
  assert.deepEqual(
    frames.map((f) => f.seq),
    frames.map((_, i) => i + from),
    "seq must run 1, 2, 3… with no gap and no duplicate",
  );
}

before(async () => {
  deployment = createDeployment({
    OFFLINE_TOKEN_DELAY_MS: "15",
    AGENT_ACK_WAIT_MS: "1500",
    COALESCE_MS: "5",
    // The load test below starts four runs per user at once; a free user may hold two by default.
    AGENT_CONCURRENT_FREE: "4",
  });
  gateways = await Promise.all([deployment.start("gateway"), deployment.start("gateway")]);
  // The first worker streams slowly, so the run it holds is still going when it is killed.
  firstWorker = await deployment.start("agent-worker", { OFFLINE_TOKEN_DELAY_MS: "40" });
});

after(async () => {
  await deployment?.stop();
});

describe("agent runs across gateway and worker processes", { concurrency: false }, () => {
  test("a worker killed with SIGKILL mid-run: the run completes on another worker after agent.restart", async () => {
    const client = await TestClient.connect(wsUrl(gateways[0]!), await tokenFor(gateways[0]!, "killer"));
    client.send({
      type: "agent.run",
      id: "k1",
      agent: "leagueStatsAgent",
      input: "Show me the league table",
    });
    await client.take((f) => f.type === "agent.accepted" && f.id === "k1");
    await client.take((f) => f.type === "agent.delta" && f.id === "k1", 10_000);
    const standby = await deployment.start("agent-worker");
    assert.equal(client.frames.filter((f) => f.type === "agent.done").length, 0, "the run is still going");
    firstWorker.kill("SIGKILL");
    await firstWorker.exited;

    const rest = await collectRun(client, "k1");
    const restart = rest.find((f) => f.type === "agent.restart");
    assert.ok(restart, "the client is told the run moved");
    assert.equal(restart.attempt, 2);
    assert.equal(rest.at(-1)!.type, "agent.done");
    assert.equal(rest.at(-1)!.stopReason, "end_turn");
    assert.match(textOf(rest), /Arsenal|Liverpool/);
    // The surviving worker now serves alone; a second one joins for the rest of the suite.
    firstWorker = standby;
    await deployment.start("agent-worker");
    client.close();
  });

  test("a run streams end to end over one gateway, grounded in the real table", async () => {
    const client = await TestClient.connect(wsUrl(gateways[1]!), await tokenFor(gateways[1]!, "alice"));
    client.send({ type: "agent.run", id: "r1", intent: "stats", input: "Show me the league table" });
    const accepted = await client.take((f) => f.type === "agent.accepted" && f.id === "r1");
    assert.equal(accepted.agent, "leagueStatsAgent");
    const frames = await collectRun(client, "r1");
    assertContiguous(frames);
    assert.ok(frames.every((f) => f.requestId === accepted.requestId));
    assert.ok(frames.some((f) => f.type === "agent.tool" && f.status === "finished"));
    assert.equal(frames.at(-1)!.type, "agent.done");
    assert.match(textOf(frames), /Arsenal|Liverpool|Manchester City/);
    client.close();
  });

  test("a client that disconnects mid-run and resumes on the other gateway gets every frame exactly once, in order", async () => {
    const token = await tokenFor(gateways[0]!, "bob");
    const first = await TestClient.connect(wsUrl(gateways[0]!), token);
    first.send({ type: "agent.run", id: "m1", agent: "eplScoutAgent", input: "Scout Liverpool v Arsenal" });
    const accepted = await first.take((f) => f.type === "agent.accepted" && f.id === "m1");
    const seen: Frame[] = [];
    while (seen.filter((f) => f.type === "agent.delta").length < 2) {
      seen.push(await first.take((f) => f.id === "m1" && f.type !== "agent.accepted", 10_000));
    }
    first.socket.terminate();
    const last = seen.at(-1)!.seq as number;

    const second = await TestClient.connect(wsUrl(gateways[1]!), token);
    second.send({ type: "agent.resume", id: "m1", requestId: accepted.requestId, after: last });
    const rest = await collectRun(second, "m1");
    assertContiguous([...seen, ...rest]);
    assert.equal(rest.at(-1)!.type, "agent.done");
    assert.match(textOf([...seen, ...rest]), /Liverpool|Arsenal/);

    // Someone else holding the id learns nothing about the run.
    const mallory = await TestClient.connect(wsUrl(gateways[1]!), await tokenFor(gateways[1]!, "mallory"));
    mallory.send({ type: "agent.resume", id: "x", requestId: accepted.requestId, after: 0 });
    const refused = await mallory.take((f) => f.id === "x");
    assert.equal(refused.type, "error");
    assert.equal(refused.code, "not_found");
    second.close();
    mallory.close();
  });

  test("the same run id twice, on two gateways, is one run", async () => {
    const token = await tokenFor(gateways[0]!, "carol");
    const a = await TestClient.connect(wsUrl(gateways[0]!), token);
    const b = await TestClient.connect(wsUrl(gateways[1]!), token);
    const frame = { type: "agent.run", id: "same", agent: "leagueStatsAgent", input: "Chelsea form" };
    a.send(frame);
    const acceptedA = await a.take((f) => f.type === "agent.accepted");
    b.send(frame);
    const acceptedB = await b.take((f) => f.type === "agent.accepted");
    assert.equal(acceptedB.requestId, acceptedA.requestId);
    const [framesA, framesB] = await Promise.all([collectRun(a, "same"), collectRun(b, "same")]);
    assertContiguous(framesA);
    assert.deepEqual(framesB, framesA, "both sockets see the one run's frames");
    const runs = framesA.filter((f) => f.type === "agent.done").length;
    assert.equal(runs, 1);
    a.close();
    b.close();
  });

  test("200 concurrent runs from 50 users all complete, each user seeing only their own runs", async () => {
    const teams = [
      "Arsenal",
      "Chelsea",
      "Liverpool",
      "Everton",
      "Fulham",
      "Brentford",
      "Burnley",
      "Sunderland",
    ];
    const users = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const g = gateways[i % 2]!;
        const token = await tokenFor(g, `load-${i}`, i % 3 === 0 ? "free" : "pro");
        return { i, client: await TestClient.connect(wsUrl(g), token) };
      }),
    );
    const runs = users.flatMap(({ i, client }) =>
      Array.from({ length: 4 }, (_, k) => {
        const team = teams[(i + k) % teams.length]!;
        const id = `u${i}-r${k}`;
        client.send({ type: "agent.run", id, agent: "leagueStatsAgent", input: `${team} form` });
        return { client, id, team };
      }),
    );
    const results = await Promise.all(
      runs.map(async (run) => {
        const accepted = await run.client.take((f) => f.type === "agent.accepted" && f.id === run.id, 20_000);
        const frames = await collectRun(run.client, run.id, 60_000);
        return { ...run, accepted, frames };
      }),
    );
    for (const { frames, team, accepted } of results) {
      assertContiguous(frames);
      assert.equal(frames.at(-1)!.type, "agent.done");
      assert.ok(frames.every((f) => f.requestId === accepted.requestId));
      assert.match(textOf(frames), new RegExp(team));
    }
    for (const { client, i } of users) {
      const mine = new Set(results.filter((r) => r.client === client).map((r) => r.accepted.requestId));
      const foreign = client.frames.filter((f) => f.requestId !== undefined && !mine.has(f.requestId));
      assert.deepEqual(foreign, [], `user ${i} received frames of another user's run`);
      client.close();
    }
  });
});
