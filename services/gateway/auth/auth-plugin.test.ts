import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { pause } from "../../../test/support/polling.js";
import { type Harness, signToken, startGateway } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();

function jwt(alg: "RS256" | "HS256", claims: Record<string, unknown>, hmacKey = ""): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg, typ: "JWT" })}.${encode(claims)}`;
  const signature =
    alg === "RS256"
      ? sign("sha256", Buffer.from(body), privateKey).toString("base64url")
      : createHmac("sha256", hmacKey).update(body).digest("base64url");
  return `${body}.${signature}`;
}

describe("tokens verified with a public key (production)", () => {
  let gw: Harness;
  before(async () => {
    // Asked for dev tokens, all the same: without the private key there is nothing to sign with.
    gw = await startGateway({ jwtPublicKey: publicPem, devTokens: true });
  });
  after(() => gw.close());

  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return { sub: "prod-user", tier: "pro", iat: now, exp: now + 60 };
  };

  test("an RS256 token from the key's owner opens a session", async () => {
    const client = await TestClient.connect(gw.wsUrl, jwt("RS256", claims()));
    client.send({ type: "ping", id: "p" });
    await client.take((f) => f.type === "pong");
    client.close();
  });

  test("an HS256 token keyed with the public key itself is refused", async () => {
    const forged = jwt("HS256", claims(), publicPem);
    const refused = await TestClient.refused(gw.wsUrl, { authorization: `Bearer ${forged}` });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, "unauthorized");
  });

  test("the development issuer is off: it cannot sign without the private key", async () => {
    const response = await gw.app.inject({
      method: "POST",
      url: "/api/auth/dev-token",
      payload: { userId: "u", tier: "free" },
    });
    assert.equal(response.statusCode, 404);
  });
});

describe("token times: exp required, lifetime capped, iat not ahead of the clock", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ tokenMaxTtlS: 3600, tokenClockSkewS: 60 });
  });
  after(() => gw.close());

  const now = () => Math.floor(Date.now() / 1000);
  /** The HTTP status and error message of `GET /api/wallet` with `claims` signed by the deployment's secret. */
  async function answer(claims: Record<string, unknown>) {
    const response = await gw.app.inject({
      method: "GET",
      url: "/api/wallet",
      headers: { authorization: `Bearer ${signToken({ sub: "timed", tier: "free", ...claims })}` },
    });
    const body = response.json() as { error?: { code: string; message: string } };
    return { status: response.statusCode, code: body.error?.code, message: body.error?.message };
  }

  test("a token whose exp is in the year 5138 is refused, over HTTP and WebSocket", async () => {
    const exp = Date.UTC(5138, 0, 1) / 1000;
    const refused = await answer({ iat: now(), exp });
    assert.deepEqual([refused.status, refused.code], [401, "unauthorized"]);
    assert.match(refused.message ?? "", /lifetime/);
    const upgrade = await TestClient.refused(gw.wsUrl, {
      authorization: `Bearer ${signToken({ sub: "timed", tier: "free", iat: now(), exp })}`,
    });
    assert.deepEqual([upgrade.status, upgrade.body.error.code], [401, "unauthorized"]);
  });

  test("a lifetime of exactly TOKEN_MAX_TTL_S is accepted, one second more is not", async () => {
    const iat = now();
    assert.notEqual((await answer({ iat, exp: iat + 3600 })).status, 401);
    assert.equal((await answer({ iat, exp: iat + 3601 })).status, 401);
  });

  test("a token issued in the future beyond the clock skew is refused; within it, accepted", async () => {
    const ahead = await answer({ iat: now() + 600, exp: now() + 1200 });
    assert.deepEqual([ahead.status, ahead.code], [401, "unauthorized"]);
    assert.match(ahead.message ?? "", /future/);
    assert.notEqual((await answer({ iat: now() + 30, exp: now() + 600 })).status, 401);
  });

  test("a token accepted before its exp is refused from its exp on, though it was verified before", async () => {
    const iat = now();
    const claims = { iat, exp: iat + 2 };
    assert.notEqual((await answer(claims)).status, 401);
    assert.notEqual((await answer(claims)).status, 401);
    // A timer may fire a millisecond before the wall clock, which the token is checked against, gets there.
    while (Date.now() < (iat + 2) * 1000) await pause((iat + 2) * 1000 - Date.now());
    const expired = await answer(claims);
    assert.deepEqual([expired.status, expired.message], [401, "token expired"]);
  });

  test("a token without exp (or without iat) is refused", async () => {
    const noExp = await answer({ iat: now() });
    assert.deepEqual([noExp.status, noExp.code], [401, "unauthorized"]);
    const noIat = await answer({ exp: now() + 60 });
    assert.deepEqual([noIat.status, noIat.code], [401, "unauthorized"]);
  });

  test("an auth refresh with an over-long token is refused like a new one", async () => {
    const iat = now();
    const client = await TestClient.connect(
      gw.wsUrl,
      signToken({ sub: "timed", tier: "free", iat, exp: iat + 60 }),
    );
    client.send({
      type: "auth",
      id: "r",
      token: signToken({ sub: "timed", tier: "free", iat, exp: Date.UTC(5138, 0, 1) / 1000 }),
    });
    const error = await client.take((f) => f.type === "error" && f.id === "r");
    assert.equal(error.code, "unauthorized");
    client.close();
  });
});
