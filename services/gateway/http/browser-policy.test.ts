import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../../shared/config.js";
import {
  echoScript,
  type Harness,
  scriptedWorker,
  startGateway,
  tokenFor,
} from "../testing/gateway-harness.js";
import { parseOrigins } from "./browser-policy.js";

const site = "https://trade.example.com";

describe("what browsers are told: no-store, nosniff, CORS closed by default", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ devTokens: true });
    scriptedWorker(gw.runQueue, echoScript);
  });
  after(() => gw.close());

  test("every /api answer carries Cache-Control: no-store and X-Content-Type-Options: nosniff", async () => {
    const auth = { authorization: `Bearer ${tokenFor("browser")}` };
    const answers = [
      await gw.app.inject({ url: "/api/agents" }),
      await gw.app.inject({ url: "/api/wallet", headers: auth }),
      await gw.app.inject({ url: "/api/wallet" }), // 401
      await gw.app.inject({ url: "/api/nowhere" }), // 404
      await gw.app.inject({ method: "POST", url: "/api/auth/dev-token", payload: { userId: "x" } }), // 400
      await gw.app.inject({
        method: "POST",
        url: "/api/auth/dev-token",
        payload: { userId: "b", tier: "free" },
      }),
      // The router's own errors, which no hook sees.
      await gw.app.inject({ url: "/api/markets/%zz" }),
      await gw.app.inject({ url: `/api/markets/${"x".repeat(300)}` }),
    ];
    for (const answer of answers) {
      assert.equal(answer.headers["cache-control"], "no-store", `${answer.statusCode} ${answer.body}`);
      assert.equal(answer.headers["x-content-type-options"], "nosniff");
    }
  });

  test("an SSE agent stream carries them too", async () => {
    const address = gw.wsUrl.replace("ws:", "http:").replace(/\/ws$/, "");
    const response = await fetch(`${address}/api/agents/supportAgent/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokenFor("streamer")}`,
        accept: "text/event-stream",
        "content-type": "application/json",
      },
      body: JSON.stringify({ input: "hi" }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.match(await response.text(), /agent\.done/);
  });

  test("no CORS header at all by default, for a request or a preflight from another site", async () => {
    const simple = await gw.app.inject({ url: "/api/agents", headers: { origin: site } });
    const preflight = await gw.app.inject({
      method: "OPTIONS",
      url: "/api/wallet",
      headers: { origin: site, "access-control-request-method": "GET" },
    });
    for (const answer of [simple, preflight]) {
      const cors = Object.keys(answer.headers).filter((h) => h.startsWith("access-control-"));
      assert.deepEqual(cors, [], `${answer.statusCode}`);
    }
  });
});

describe("CORS_ORIGINS set", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ corsOrigins: `${site}, http://localhost:5173` });
  });
  after(() => gw.close());

  test("the configured origin is allowed, with the headers a client needs; others get nothing", async () => {
    const preflight = await gw.app.inject({
      method: "OPTIONS",
      url: "/api/trades",
      headers: {
        origin: site,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], site);
    assert.match(String(preflight.headers["access-control-allow-headers"]), /authorization/);
    assert.match(String(preflight.headers["access-control-allow-methods"]), /POST/);
    assert.equal(preflight.headers["access-control-allow-credentials"], undefined);

    const simple = await gw.app.inject({ url: "/api/agents", headers: { origin: "http://localhost:5173" } });
    assert.equal(simple.headers["access-control-allow-origin"], "http://localhost:5173");
    assert.match(String(simple.headers["access-control-expose-headers"]), /retry-after/);

    const stranger = await gw.app.inject({ url: "/api/agents", headers: { origin: "https://evil.example" } });
    assert.equal(stranger.headers["access-control-allow-origin"], undefined);
  });
});

test("CORS_ORIGINS must list origins, not URLs or wildcards", () => {
  assert.deepEqual(parseOrigins(""), []);
  assert.deepEqual(parseOrigins(` ${site} ,http://localhost:5173`), [site, "http://localhost:5173"]);
  assert.throws(() => loadConfig({ CORS_ORIGINS: "*" }), /CORS_ORIGINS/);
  assert.throws(() => loadConfig({ CORS_ORIGINS: `${site}/app` }), /CORS_ORIGINS/);
  assert.throws(
    () => parseOrigins(`${site}/`),
    (err: unknown) => err instanceof ConfigError,
  );
});
