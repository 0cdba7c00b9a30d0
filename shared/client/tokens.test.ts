import assert from "node:assert/strict";
import { test } from "node:test";
import { signToken } from "../../services/gateway/testing/gateway-harness.js";
import { TokenExpiredError } from "./errors.js";
import { createTokenSource } from "./tokens.js";

const nowS = () => Math.floor(Date.now() / 1000);

test("a token is renewed a minute before exp, or at 4/5 of a shorter life", () => {
  const long = signToken({ sub: "u", iat: nowS(), exp: nowS() + 3600 });
  assert.equal(createTokenSource({ token: long }, 60_000).refreshAt(), (nowS() + 3600) * 1000 - 60_000);
  const short = signToken({ sub: "u", iat: nowS(), exp: nowS() + 10 });
  assert.equal(createTokenSource({ token: short }, 60_000).refreshAt(), (nowS() + 10) * 1000 - 2_000);
});

test("getToken is asked again when renewal is due; a fixed token that expired is TokenExpiredError", async () => {
  let issued = 0;
  const source = createTokenSource(
    {
      getToken: () => {
        issued += 1;
        return signToken({ sub: "u", iat: nowS() - 10, exp: nowS() + (issued === 1 ? 1 : 3600) });
      },
    },
    60_000,
  );
  await source.current();
  await source.current();
  assert.equal(issued, 2, "the first token was already due for renewal");
  await source.current();
  assert.equal(issued, 2, "the second is good for an hour");
  const expired = signToken({ sub: "u", iat: nowS() - 20, exp: nowS() - 10 });
  await assert.rejects(createTokenSource({ token: expired }, 60_000).current(), TokenExpiredError);
});
