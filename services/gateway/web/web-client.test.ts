import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { webClientRoutes } from "./web-client.js";

let app: FastifyInstance;

before(async () => {
  app = Fastify();
  await app.register(webClientRoutes);
  await app.ready();
});

after(async () => {
  await app.close();
});

test("/ is the page, with its policy: scripts and sockets from this origin only", async () => {
  const res = await app.inject({ method: "GET", url: "/" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
  assert.match(res.body, /<script type="module" src="\/app.js"><\/script>/);
  assert.match(String(res.headers["content-security-policy"]), /default-src 'self'/);
  assert.equal(res.headers["x-content-type-options"], "nosniff");
});

test("the modules and the style sheet are served with their types; unknown files are not", async () => {
  for (const [url, type] of [
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/client.js", "text/javascript; charset=utf-8"],
    ["/app.css", "text/css; charset=utf-8"],
    ["/vendor/uplot.js", "text/javascript; charset=utf-8"],
    ["/vendor/uplot.css", "text/css; charset=utf-8"],
  ] as const) {
    const res = await app.inject({ method: "GET", url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers["content-type"], type, url);
  }
  assert.equal((await app.inject({ method: "GET", url: "/web-client.ts" })).statusCode, 404);
  assert.equal((await app.inject({ method: "GET", url: "/index.html" })).statusCode, 404);
});

test("every file is revalidated, and an unchanged one answers 304 without a body", async () => {
  const first = await app.inject({ method: "GET", url: "/app.js" });
  assert.equal(first.headers["cache-control"], "no-cache");
  const etag = String(first.headers.etag);
  assert.match(etag, /^"[\w-]{22}"$/);
  const again = await app.inject({ method: "GET", url: "/app.js", headers: { "if-none-match": etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, "");
  const other = await app.inject({ method: "GET", url: "/app.css", headers: { "if-none-match": etag } });
  assert.equal(other.statusCode, 200);
});

test("every module the page imports is served (no build step: the browser resolves them)", async () => {
  const pending = ["/app.js"];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const url = pending.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const res = await app.inject({ method: "GET", url });
    assert.equal(res.statusCode, 200, `${url} is imported but not served`);
    for (const [, name] of res.body.matchAll(/from "\.\/([a-z-]+\.js)"/g)) pending.push(`/${name}`);
  }
  assert.ok(seen.size >= 3);
});

test("/client.js is the client library as one ES module, exporting what shared/client/mod.ts does", async () => {
  const res = await app.inject({ method: "GET", url: "/client.js" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(res.headers["cache-control"], "no-cache");
  const bundled = await import(`data:text/javascript;base64,${Buffer.from(res.body).toString("base64")}`);
  const library = await import("../../../shared/client/mod.js");
  assert.deepEqual(Object.keys(bundled).sort(), Object.keys(library).sort());
  assert.equal(typeof bundled.connect, "function");
});
