import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { until } from "../../../test/support/polling.js";
import { type Harness, startGateway, tokenFor } from "../testing/gateway-harness.js";
import { TestClient } from "../testing/ws-client.js";

describe("WebSocket upgrades", () => {
  let gw: Harness;
  before(async () => {
    gw = await startGateway({ httpRequestsPerMinuteUser: 2 });
  });
  after(() => gw.close());

  test("an upgrade counts against the user's HTTP request limit: over it, 429 before any upgrade", async () => {
    const token = tokenFor("carol");
    const opened = [await TestClient.connect(gw.wsUrl, token), await TestClient.connect(gw.wsUrl, token)];
    const refused = await TestClient.refused(gw.wsUrl, { authorization: `Bearer ${token}` });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "rate_limited");
    // Another user's limit is their own.
    const other = await TestClient.connect(gw.wsUrl, tokenFor("dave"));
    for (const client of [...opened, other]) client.close();
  });

  test("an upgrade anywhere but /ws is not found", async () => {
    const refused = await TestClient.refused(gw.wsUrl.replace(/\/ws$/, "/elsewhere"), {
      authorization: `Bearer ${tokenFor("erin")}`,
    });
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error.code, "not_found");
  });

  test("an open socket keeps nothing of its upgrade request", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    let request: WeakRef<IncomingMessage> | undefined;
    const remember = (req: IncomingMessage) => {
      request = new WeakRef(req);
    };
    gw.app.server.prependOnceListener("upgrade", remember);
    const client = await TestClient.connect(gw.wsUrl, tokenFor("frank"));
    assert.ok(request !== undefined);
    await until(
      () => {
        gc();
        return request!.deref() === undefined;
      },
      3000,
      "the upgrade request to be collected",
    );
    client.send({ type: "ping", id: "still-open" });
    await client.take((f) => f.id === "still-open");
    client.close();
  });
});
