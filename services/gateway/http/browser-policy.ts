import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ConfigError } from "../../../shared/config.js";

/** Headers every `/api` answer carries, errors and SSE streams included (docs/protocol.md "HTTP"). */
export const apiHeaders = Object.freeze({
  // Answers are per user (wallet, positions) or live (prices): no cache, shared or private, keeps them.
  "cache-control": "no-store",
  // A JSON body is never to be sniffed into HTML or script by a browser.
  "x-content-type-options": "nosniff",
});

const apiPath = /^\/api(?:[/?]|$)/;

/**
 * What a browser is told about the HTTP API: `apiHeaders` on every `/api` answer, and CORS only
 * for the origins of `CORS_ORIGINS` (none by default: no CORS header at all, so another site's
 * scripts cannot read an answer). Tokens travel in `Authorization`, never in cookies, so
 * credentials are never allowed. Hooks escape encapsulation: they cover every route and the
 * not-found and error replies.
 */
async function browserPolicyPlugin(app: FastifyInstance, options: { corsOrigins: string }) {
  app.addHook("onSend", async (request, reply) => {
    if (apiPath.test(request.url)) reply.headers(apiHeaders);
  });
  const origins = parseOrigins(options.corsOrigins);
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins,
    methods: ["GET", "HEAD", "POST"],
    allowedHeaders: ["authorization", "content-type", "accept", "idempotency-key"],
    exposedHeaders: ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"],
    maxAge: 600,
  });
}

/** `CORS_ORIGINS` as a list of exact origins (`https://host[:port]`); anything else stops the start. */
export function parseOrigins(text: string): string[] {
  const origins = text
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError(
        "CORS_ORIGINS",
        `must list origins like https://example.com (got ${JSON.stringify(origin)})`,
      );
    }
  }
  return origins;
}

export default fp(browserPolicyPlugin, { name: "gateway-browser-policy", fastify: "5.x" });
