import assert from "node:assert/strict";
import { test } from "node:test";
import { until } from "../../../test/support/polling.js";
import { echoScript, scriptedWorker, startGateway, tokenFor } from "../testing/gateway-harness.js";

// A gateway being removed must not wait for its HTTP agent runs to end (minutes): it stops
// relaying them when it drains, tells each client where the run goes on, and exits at once.
test("a draining gateway ends its SSE and JSON agent-run relays at once, telling the client to resume over /ws", {
  timeout: 15_000,
}, async () => {
  const gw = await startGateway();
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // A worker that streams a little, then is still busy when the gateway leaves.
  gw.runQueue.consume(
    async (job) => {
      await job.emit({ type: "agent.delta", text: "Working on it" });
      await held;
      await job.ack();
    },
    { concurrency: 4 },
  );
  const base = gw.wsUrl.replace("ws://", "http://").replace("/ws", "");
  const start = (accept: string, userId: string) =>
    fetch(`${base}/api/agents/eplScoutAgent/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokenFor(userId)}`,
        accept,
        "content-type": "application/json",
      },
      body: JSON.stringify({ input: "Scout Chelsea" }),
    });
  try {
    const sse = await start("text/event-stream", "sse-user");
    const reader = sse.body!.getReader();
    let text = "";
    while (!text.includes("event: agent.delta")) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream ended before its first delta");
      text += Buffer.from(value).toString();
    }
    const json = start("application/json", "json-user");
    // The JSON run is waiting on the same held worker once its relay is registered.
    await until(() => gw.app.runRelays.size === 2, 3000, "both runs relayed");

    const closed = await Promise.race([
      gw.app.close().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 3000)),
    ]);
    assert.ok(closed, "the gateway is still closing 3 s later: the run relays hold it open");

    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    const last = text.trim().split("\n\n").at(-1)!;
    assert.match(last, /^event: error\n/);
    const error = JSON.parse(last.split("\n")[1]!.replace("data: ", ""));
    assert.equal(error.code, "unavailable");
    assert.equal(error.retryable, true);
    assert.match(error.message, /agent\.resume/);
    assert.ok(!text.includes("event: agent.done"));

    const answer = await json;
    assert.equal(answer.status, 503);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "unavailable");
    assert.match(body.error.message, /agent\.resume/);
  } finally {
    release();
    await gw.runQueue.close();
  }
});

test("a finished HTTP run leaves no relay behind for the drain to stop", async () => {
  const gw = await startGateway();
  scriptedWorker(gw.runQueue, echoScript);
  const base = gw.wsUrl.replace("ws://", "http://").replace("/ws", "");
  try {
    for (const accept of ["text/event-stream", "application/json"]) {
      const response = await fetch(`${base}/api/agents/eplScoutAgent/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokenFor("done")}`, accept, "content-type": "application/json" },
        body: JSON.stringify({ input: "Chelsea?" }),
      });
      assert.equal(response.status, 200);
      await response.text();
    }
    await until(() => gw.app.runRelays.size === 0, 2000, "no relay left");
  } finally {
    await gw.close();
  }
});
