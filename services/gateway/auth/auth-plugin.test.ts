import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type Harness, startGateway } from "../testing/gateway-harness.js";
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
    gw = await startGateway({ jwtPublicKey: publicPem });
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
