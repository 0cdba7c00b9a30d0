import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { RunJob } from "../../../shared/bus/run-queue/run-queue.js";
import {
  echoScript,
  type Harness,
  scriptedWorker,
  startGateway,
  tokenFor,
} from "../testing/gateway-harness.js";

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` as is on a fresh TCP connection and reads one response: what a client that
 * does not go through Node's or Fastify's request validation would get.
 */
function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    const finish = () => {
      const text = received.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return false;
      const head = text.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      const body = received.subarray(end + 4);
      if (!(body.length >= length)) return false;
      socket.destroy();
      resolve({ status: Number(head.split(" ")[1]), head, body: body.subarray(0, length).toString() });
      return true;
    };
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on("close", () => {
      if (!finish()) reject(new Error(`no complete response: ${JSON.stringify(received.toString())}`));
    });
    // The server may close while we still write an oversize request; the answer is what counts.
    socket.on("error", () => {});
    socket.write(request);
  });
}

function assertProtocolError(response: { status: number; body: string }, status: number, code: string) {
  assert.equal(response.status, status, response.body);
  const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  assert.deepEqual(Object.keys(body), ["error"], response.body);
  assert.equal(body.error?.code, code, response.body);
  assert.equal(typeof body.error?.message, "string");
}

describe("one validation policy: HTTP", () => {
  let gw: Harness;
  let port: number;
  const jobs: RunJob[] = [];
  before(async () => {
    // Dev tokens on: their route is the body parser's subject below (distributed default: off).
    gw = await startGateway({ devTokens: true });
    port = Number(new URL(gw.wsUrl).port);
    scriptedWorker(gw.runQueue, (job) => {
      jobs.push(job);
      return echoScript(job);
    });
  });
  after(() => gw.close());

  const auth = { authorization: `Bearer ${tokenFor("val-user")}` };
  const post = (url: string, payload: unknown) =>
    gw.app.inject({ method: "POST", url, headers: auth, payload: payload as object });

  test("agent runs take their body as sent: a number is not text, an unknown key is not dropped", async () => {
    const cases: [string, unknown][] = [
      ["/api/agents/supportAgent/runs", { input: 123 }],
      ["/api/agents/supportAgent/runs", { input: "hi", temperature: 2 }],
      ["/api/agents/supportAgent/runs", { input: "hi", context: { matchId: "m", extra: true } }],
      ["/api/agents/supportAgent/runs", { input: ["hi"] }],
      ["/api/agents/supportAgent/runs", { input: "bell\u0007" }],
      ["/api/epl/trade", { homeTeam: "Arsenal", awayTeam: "Chelsea", surprise: 1 }],
      ["/api/epl/trade", { homeTeam: "Arsenal", awayTeam: "Chelsea", outcome: "home", stake: "10" }],
      ["/api/epl/trade", { homeTeam: 1, awayTeam: "Chelsea" }],
      ["/api/epl/trade", { homeTeam: "Arsenal\u0000", awayTeam: "Chelsea" }],
    ];
    for (const [url, payload] of cases) {
      const response = await post(url, payload);
      assertProtocolError({ status: response.statusCode, body: response.body }, 400, "bad_request");
    }
    assert.equal(jobs.length, 0, "no refused request started a run");

    const prose = await post("/api/agents/supportAgent/runs", { input: "two\nlines\tand a tab" });
    assert.equal(prose.statusCode, 200, prose.body);
    assert.equal(jobs.at(-1)?.request.input, "two\nlines\tand a tab");
  });

  test("query strings: only the parameters a route documents, each once, as text", async () => {
    for (const url of [
      "/api/wallet?verbose=1",
      "/api/agents?x=",
      "/api/markets?status=open&status=closed",
      "/api/markets?matchId=%00",
      "/api/matches?status=live&extra=1",
      "/api/matches/m1?x=1",
    ]) {
      const response = await gw.app.inject({ method: "GET", url, headers: auth });
      assertProtocolError({ status: response.statusCode, body: response.body }, 400, "bad_request");
    }
    assert.equal((await gw.app.inject({ method: "GET", url: "/api/agents" })).statusCode, 200);
  });

  test("a path parameter with a control character is a bad request, not an unknown agent", async () => {
    const response = await post("/api/agents/support%01Agent/runs", { input: "hi" });
    assertProtocolError({ status: response.statusCode, body: response.body }, 400, "bad_request");
  });

  test("the router's and the body parser's errors have the protocol's shape, on a real connection", async () => {
    const cases: [string, string | Buffer, number, string][] = [
      ["unknown route", "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"],
      ["unknown method on a known path", "DELETE /api/agents HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"],
      [
        "a market id of 128 characters in the path reaches the route (this gateway has no exchange)",
        `GET /api/markets/${"m".repeat(128)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        503,
        "unavailable",
      ],
      [
        "a path parameter over 128 characters (Fastify's 414)",
        `GET /api/markets/${"m".repeat(129)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        413,
        "too_large",
      ],
      [
        "a percent-escape that does not decode",
        "GET /api/markets/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
        "bad_request",
      ],
      [
        "a body that is not JSON (Fastify's 415)",
        "POST /api/auth/dev-token HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 4\r\n\r\n<a/>",
        400,
        "bad_request",
      ],
      [
        "malformed JSON",
        "POST /api/auth/dev-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{oops",
        400,
        "bad_request",
      ],
      [
        "a body over the limit",
        `POST /api/auth/dev-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n${"x".repeat(70000)}`,
        413,
        "too_large",
      ],
    ];
    for (const [what, request, status, code] of cases) {
      const response = await rawRequest(port, request);
      assert.match(response.head, /\r\ncontent-type: application\/json/i, what);
      assertProtocolError(response, status, code);
    }
  });

  test("what Node's HTTP parser refuses has the protocol's shape too (431, bad requests)", async () => {
    const cases: [string, string | Buffer, number, string][] = [
      [
        "headers over 16 KiB (Node's 431)",
        `GET /api/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        413,
        "too_large",
      ],
      [
        "a URL over 16 KiB",
        `GET /api/markets/${"m".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        413,
        "too_large",
      ],
      [
        "a NUL in the Idempotency-Key header",
        Buffer.from("POST /api/trades HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k\u0000\r\n\r\n", "latin1"),
        400,
        "bad_request",
      ],
      ["not HTTP at all", "HELLO\r\n\r\n", 400, "bad_request"],
    ];
    for (const [what, request, status, code] of cases) {
      const response = await rawRequest(port, request);
      assert.match(response.head, /\r\nconnection: close/i, what);
      assertProtocolError(response, status, code);
    }
    // The server is unharmed.
    const ok = await fetch(`http://127.0.0.1:${port}/api/agents`);
    assert.equal(ok.status, 200);
  });
});
