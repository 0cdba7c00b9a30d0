import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { TestClient } from "../../services/gateway/testing/ws-client.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset, shortName } from "../../shared/epl/dataset.js";
import { createLogger } from "../../shared/logger.js";

/** Embedded mode end to end: one process, in-process adapters, a real socket on a real port. */
let platform: Platform;
let base: string;

before(async () => {
  const config = loadConfig(
    {},
    { dataDir: "memory", port: 0, offlineTokenDelayMs: 0, logLevel: "silent", feedEnabled: false },
  );
  platform = await buildPlatform(config, createLogger(config));
  base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await platform?.close();
});

async function devToken(userId: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

test("an agent run over a real WebSocket streams tool calls and an answer with real figures", async () => {
  const client = await TestClient.connect(`${base.replace("http", "ws")}/ws`, await devToken("emma"));
  client.send({ type: "agent.run", id: "e1", intent: "stats", input: "How are Liverpool doing?" });
  const accepted = await client.take((f) => f.type === "agent.accepted" && f.id === "e1");
  const done = await client.take((f) => f.type === "agent.done" && f.id === "e1", 10_000);
  const frames = client.frames.filter(
    (f) => f.requestId === accepted.requestId && f.type !== "agent.accepted",
  );
  assert.deepEqual(
    frames.map((f) => f.seq),
    frames.map((_, i) => i + 1),
  );
  assert.ok(frames.some((f) => f.type === "agent.tool" && f.status === "finished"));
  const text = frames
    .filter((f) => f.type === "agent.delta")
    .map((f) => f.text)
    .join("");
  assert.match(text, /Liverpool/);
  assert.match(text, /\d+ points|\d+ pts|\d+/);
  assert.equal(done.stopReason, "end_turn");
  client.close();
});

test("the JSON form of an HTTP agent run answers the finished run", async () => {
  const res = await fetch(`${base}/api/agents/leagueStatsAgent/runs`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await devToken("finn")}` },
    body: JSON.stringify({ input: "league table" }),
  });
  assert.equal(res.status, 200);
  const run = (await res.json()) as { text: string; stopReason: string; toolCalls: unknown[] };
  assert.equal(run.stopReason, "end_turn");
  assert.ok(run.toolCalls.length > 0);
  assert.match(run.text, /Arsenal|Liverpool|Manchester City/);
});

test("a trade an agent makes shows in the wallet at once, though the gateway had cached the balance", async () => {
  const token = await devToken("gina");
  const wallet = async () =>
    (
      (await (
        await fetch(`${base}/api/wallet`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        balance: number;
      }
    ).balance;
  const before = await wallet();
  assert.equal(await wallet(), before, "served from the cache");

  const fixture = loadDataset().matches.find((m) => m.season === "2025-26" && m.status === "scheduled")!;
  const client = await TestClient.connect(`${base.replace("http", "ws")}/ws`, token);
  client.send({
    type: "agent.run",
    id: "buy",
    intent: "trade",
    input: `buy 5 shares of ${shortName(fixture.home)} to beat ${shortName(fixture.away)}`,
  });
  await client.take((f) => f.type === "agent.done" && f.id === "buy", 15_000);
  const placed = client.frames.find(
    (f) => f.type === "agent.tool" && f.name === "placeTrade" && f.status === "finished",
  );
  assert.ok(placed, "the agent placed the trade");
  assert.equal(await wallet(), placed.output.trade.balance);
  assert.ok((await wallet()) < before);
  client.close();
});
