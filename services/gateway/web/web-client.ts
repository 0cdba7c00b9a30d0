import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { FastifyInstance } from "fastify";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/**
 * Libraries the page loads, served from this origin (the policy allows no other): route → the
 * installed package's file. uPlot draws the price charts; its minified build is a classic script
 * that defines the global `uPlot`, loaded only when a chart is first shown (price-chart.js).
 */
const vendorFiles: Record<string, string> = {
  "/vendor/uplot.js": "uplot/dist/uPlot.iife.min.js",
  "/vendor/uplot.css": "uplot/dist/uPlot.min.css",
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
 * holds: a deploy is seen at once, and an unchanged file costs no body. The `vendorFiles` are
 * served the same way, and so is the platform's client library (`/client.js`, clientBundle).
 */
export async function webClientRoutes(app: FastifyInstance) {
  const dir = new URL("./", import.meta.url);
  // Compiled (dist/), this module is a `.js` file among them: it is not the browser's.
  const self = basename(fileURLToPath(import.meta.url));
  const names = (await readdir(dir)).filter(
    (name) => name !== self && (name === "index.html" || /^[a-z-]+\.(js|css)$/.test(name)),
  );
  const files = names.map((name) => ({
    route: name === "index.html" ? "/" : `/${name}`,
    path: fileURLToPath(new URL(name, dir)),
  }));
  const require = createRequire(import.meta.url);
  for (const [route, file] of Object.entries(vendorFiles)) files.push({ route, path: require.resolve(file) });
  const bodies = await Promise.all(
    files.map(async ({ route, path }) => ({ route, path, body: await readFile(path) })),
  );
  bodies.push({ route: "/client.js", path: "client.js", body: await clientBundle(extname(self)) });
  for (const { route, path, body } of bodies) {
    const type = contentTypes[extname(path)]!;
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

/**
 * The client library (shared/client/README.md) as one ES module for the page, so the desk speaks
 * the protocol through the same code as every other client. Bundled once at start from the
 * library's source (`.ts`) or, compiled in dist/, its `.js` (`ext`: this module's own): it takes
 * tens of milliseconds and keeps no build output to go stale beside the desk's files.
 */
async function clientBundle(ext: string) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`../../../shared/client/mod${ext}`, import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return Buffer.from(result.outputFiles[0]!.text);
}
