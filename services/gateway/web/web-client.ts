import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/**
 * The page: everything from this origin, nothing inline, the WebSocket to this host only
 * (CSP 3 `'self'` covers ws: and wss: on the same host and port).
 */
const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * The live betting web client, read once at start from beside this module: `GET /` is
 * index.html, and each `.js` module and `.css` sheet is `GET /<file name>`. The names carry no
 * content hash, so a browser revalidates every time (`no-cache`) and gets a 304 for the ETag it
 * holds: a deploy is seen at once, and an unchanged file costs no body.
 */
export async function webClientRoutes(app: FastifyInstance) {
  const dir = new URL("./", import.meta.url);
  // Compiled (dist/), this module is a `.js` file among them: it is not the browser's.
  const self = basename(fileURLToPath(import.meta.url));
  const names = (await readdir(dir)).filter(
    (name) => name !== self && (name === "index.html" || /^[a-z-]+\.(js|css)$/.test(name)),
  );
  for (const name of names) {
    const route = name === "index.html" ? "/" : `/${name}`;
    const type = contentTypes[extname(name)]!;
    const body = await readFile(new URL(name, dir));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    app.get(route, async (request, reply) => {
      reply
        .header("content-type", type)
        .header("cache-control", "no-cache")
        .header("etag", etag)
        .header("x-content-type-options", "nosniff");
      if (route === "/") reply.header("content-security-policy", contentSecurityPolicy);
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.send(body);
    });
  }
}
