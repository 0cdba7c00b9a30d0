import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sampleValue } from "../../../shared/metrics/prometheus-text.js";
import { agentNames } from "../../../shared/protocol/agents.js";
import {
  echoScript,
  type Harness,
  scriptedWorker,
  signToken,
  startGateway,
  tokenFor,
} from "../testing/gateway-harness.js";

function assertErrorBody(body: unknown, code: string) {
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  assert.equal(error?.code, code);
  assert.equal(typeof error?.message, "string");
}

describe("gateway HTTP", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ devTokens: true });
    scriptedWorker(gw.runQueue, (job) => {
      if (job.request.input === "fail") {
        return [{ type: "agent.error", code: "overloaded", message: "model busy", retryable: true }];
      }
      if (job.request.input === "tools") {
        return [
          { type: "agent.delta", text: "lost " },
          { type: "agent.restart", attempt: 2 },
          {
            type: "agent.tool",
            callId: "c1",
            name: "standings",
            status: "started",
            input: { season: "2024-25" },
          },
          {
            type: "agent.tool",
            callId: "c1",
            name: "standings",
            status: "finished",
            output: { top: "Liverpool" },
          },
          { type: "agent.delta", text: "Liverpool lead." },
          { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 10, outputTokens: 4 } },
        ];
      }
      return echoScript(job);
    });
  });
  after(() => gw.close());

  test("GET /healthz answers ok", async () => {
    const response = await gw.app.inject({ method: "GET", url: "/healthz" });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: "ok" });
  });

  test("GET /api/agents lists the eleven agents with their intents, without auth", async () => {
    const response = await gw.app.inject({ method: "GET", url: "/api/agents" });
    assert.equal(response.statusCode, 200);
    const { agents } = response.json() as {
      agents: { name: string; description: string; intents: string[] }[];
    };
    assert.deepEqual(
      agents.map((a) => a.name),
      [...agentNames],
    );
    assert.deepEqual(agents.find((a) => a.name === "eplTradingAgent")?.intents, ["trade"]);
    assert.ok(agents.every((a) => a.description.length > 0 && a.intents.length === 1));
  });

  test("POST /api/auth/dev-token issues a token the gateway accepts", async () => {
    const response = await gw.app.inject({
      method: "POST",
      url: "/api/auth/dev-token",
      payload: { userId: "trader-1", tier: "pro" },
    });
    assert.equal(response.statusCode, 200);
    const { token, expiresAt } = response.json() as { token: string; expiresAt: string };
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    assert.deepEqual([claims.sub, claims.tier], ["trader-1", "pro"]);
    assert.equal(expiresAt, new Date(claims.exp * 1000).toISOString());
    assert.ok(Date.parse(expiresAt) > Date.now() + 3000 * 1000);

    const run = await gw.app.inject({
      method: "POST",
      url: "/api/agents/supportAgent/runs",
      headers: { authorization: `Bearer ${token}` },
      payload: { input: "hi" },
    });
    assert.equal(run.statusCode, 200);

    const bad = await gw.app.inject({
      method: "POST",
      url: "/api/auth/dev-token",
      payload: { userId: "has spaces", tier: "gold" },
    });
    assert.equal(bad.statusCode, 400);
    assertErrorBody(bad.json(), "bad_request");
  });

  test("POST /api/agents/:agent/runs answers the finished run as JSON", async () => {
    const response = await gw.app.inject({
      method: "POST",
      url: "/api/agents/leagueStatsAgent/runs",
      headers: { authorization: `Bearer ${tokenFor("gina")}` },
      payload: { input: "tools", context: { matchId: "m1" } },
    });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.match(body.requestId, /^[0-9a-f]{48}$/);
    assert.deepEqual(
      { ...body, requestId: "x" },
      {
        requestId: "x",
        text: "Liverpool lead.",
        toolCalls: [
          {
            callId: "c1",
            name: "standings",
            status: "finished",
            input: { season: "2024-25" },
            output: { top: "Liverpool" },
          },
        ],
        usage: { inputTokens: 10, outputTokens: 4 },
        stopReason: "end_turn",
      },
    );
  });

  test("a run that ends in agent.error answers that error's status and code", async () => {
    const response = await gw.app.inject({
      method: "POST",
      url: "/api/agents/oddsAnalystAgent/runs",
      headers: { authorization: `Bearer ${tokenFor("gina")}` },
      payload: { input: "fail" },
    });
    assert.equal(response.statusCode, 503);
    assertErrorBody(response.json(), "overloaded");
  });

  test("with Accept: text/event-stream the run streams as SSE events, agent.accepted first", async () => {
    const address = gw.wsUrl.replace("ws://", "http://").replace("/ws", "");
    const response = await fetch(`${address}/api/agents/eplScoutAgent/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokenFor("hank")}`,
        accept: "text/event-stream",
        "content-type": "application/json",
      },
      body: JSON.stringify({ input: "Chelsea?" }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = (await response.text())
      .trim()
      .split("\n\n")
      .map((block) => {
        const [eventLine, dataLine] = block.split("\n");
        return {
          event: eventLine?.replace("event: ", ""),
          data: JSON.parse(dataLine!.replace("data: ", "")),
        };
      });
    assert.deepEqual(
      events.map((e) => e.event),
      ["agent.accepted", "agent.delta", "agent.delta", "agent.delta", "agent.done"],
    );
    assert.ok(events.every((e) => e.data.type === e.event));
    const { requestId } = events[0]!.data;
    assert.deepEqual(events[0]!.data.agent, "eplScoutAgent");
    assert.ok(events.every((e) => e.data.requestId === requestId && e.data.id === requestId));
    assert.deepEqual(
      events.slice(1).map((e) => e.data.seq),
      [1, 2, 3, 4],
    );
    assert.equal(events[1]!.data.text, "hank:");
  });

  test("runs need a valid bearer token, a known agent and a valid body", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, string>, string, unknown, number, string][] = [
      [{}, "supportAgent", { input: "hi" }, 401, "unauthorized"],
      [{ authorization: "Basic abc" }, "supportAgent", { input: "hi" }, 401, "unauthorized"],
      [
        { authorization: `Bearer ${signToken({ sub: "u", tier: "free", iat: now - 9, exp: now - 1 })}` },
        "supportAgent",
        { input: "hi" },
        401,
        "unauthorized",
      ],
      [{ authorization: `Bearer ${tokenFor("u")}` }, "nobodyAgent", { input: "hi" }, 404, "not_found"],
      [{ authorization: `Bearer ${tokenFor("u")}` }, "supportAgent", { input: "" }, 400, "bad_request"],
      [{ authorization: `Bearer ${tokenFor("u")}` }, "supportAgent", { prompt: "hi" }, 400, "bad_request"],
      [
        { authorization: `Bearer ${tokenFor("u")}` },
        "supportAgent",
        { input: "x".repeat(8001) },
        400,
        "bad_request",
      ],
    ];
    for (const [headers, agent, payload, status, code] of cases) {
      const response = await gw.app.inject({
        method: "POST",
        url: `/api/agents/${agent}/runs`,
        headers,
        payload: payload as Record<string, unknown>,
      });
      assert.equal(
        response.statusCode,
        status,
        `${agent} ${JSON.stringify(headers)} ${JSON.stringify(payload)}`,
      );
      assertErrorBody(response.json(), code);
    }
  });

  test("errors keep the protocol's body shape: unknown routes, malformed JSON, oversize bodies", async () => {
    const missing = await gw.app.inject({ method: "GET", url: "/nowhere" });
    assert.equal(missing.statusCode, 404);
    assertErrorBody(missing.json(), "not_found");

    const malformed = await gw.app.inject({
      method: "POST",
      url: "/api/auth/dev-token",
      headers: { "content-type": "application/json" },
      payload: "{oops",
    });
    assert.equal(malformed.statusCode, 400);
    assertErrorBody(malformed.json(), "bad_request");

    const huge = await gw.app.inject({
      method: "POST",
      url: "/api/auth/dev-token",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ userId: "x".repeat(100_000), tier: "free" }),
    });
    assert.equal(huge.statusCode, 413);
    assertErrorBody(huge.json(), "too_large");
  });

  test("GET /metrics on the metrics listener exposes the gateway's counters in Prometheus text format", async () => {
    await gw.app.inject({ method: "GET", url: "/healthz" });
    const response = await gw.metricsServer.inject({ method: "GET", url: "/metrics" });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers["content-type"] as string, /^text\/plain/);
    const text = response.body;
    const at = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(text, name, { service: "gateway", ...labels });
    assert.ok((at("requests_total", { method: "GET", route: "/healthz", status: "200" }) ?? 0) >= 1);
    assert.match(text, /request_duration_seconds_bucket\{/);
    assert.equal(at("agent_runs_total", { agent: "eplScoutAgent", tier: "free", transport: "http" }), 1);
    assert.equal(at("agent_runs_finished_total", { agent: "oddsAnalystAgent", outcome: "overloaded" }), 1);
    assert.equal(at("active_users"), 0);
    assert.equal(at("ws_connections"), 0);
    assert.ok(
      (at("errors_total", { code: "unauthorized", transport: "http" }) ?? 0) >= 1,
      "error answers count",
    );
  });
});

describe("gateway HTTP: readiness and production settings", () => {
  test("GET /readyz is 503 with details until every check passes, then 200", async () => {
    let natsUp = false;
    const gw = await startGateway({}, { readiness: async () => ({ nats: natsUp, store: true }) });
    try {
      const down = await gw.app.inject({ method: "GET", url: "/readyz" });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), {
        error: { code: "unavailable", message: "not ready: nats" },
        checks: { nats: false, store: true },
      });
      natsUp = true;
      const up = await gw.app.inject({ method: "GET", url: "/readyz" });
      assert.equal(up.statusCode, 200);
      assert.deepEqual(up.json(), { status: "ready", checks: { nats: true, store: true } });
    } finally {
      await gw.close();
    }
  });

  test("GET /metrics is not served on the public listener", async () => {
    const gw = await startGateway();
    try {
      const response = await fetch(`${gw.wsUrl.replace("ws:", "http:").replace(/\/ws$/, "")}/metrics`);
      assert.equal(response.status, 404);
      assertErrorBody(await response.json(), "not_found");
    } finally {
      await gw.close();
    }
  });

  const devTokenStatus = async (gw: Harness) =>
    (
      await gw.app.inject({
        method: "POST",
        url: "/api/auth/dev-token",
        payload: { userId: "u", tier: "pro" },
      })
    ).statusCode;

  test("dev tokens: off by default in distributed mode, on only where DEV_TOKENS=true", async () => {
    for (const [overrides, status] of [
      [{}, 404],
      [{ devTokens: false }, 404],
      [{ devTokens: true }, 200],
    ] as const) {
      const gw = await startGateway(overrides);
      try {
        assert.equal(await devTokenStatus(gw), status, JSON.stringify(overrides));
      } finally {
        await gw.close();
      }
    }
  });

  test("dev tokens: on by default in embedded mode on loopback, off on any other address", async () => {
    for (const [overrides, status] of [
      [{}, 200],
      [{ host: "0.0.0.0" }, 404],
      [{ host: "0.0.0.0", devTokens: true }, 200],
      [{ devTokens: false }, 404],
    ] as const) {
      const gw = await startGateway(overrides, { mode: "embedded" });
      try {
        assert.equal(await devTokenStatus(gw), status, JSON.stringify(overrides));
      } finally {
        await gw.close();
      }
    }
  });
});
