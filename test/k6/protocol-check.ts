import type { TSchema } from "@sinclair/typebox";
import { EplTradeBody } from "../../services/gateway/agent-runs/epl-trade-route.js";
import { DevTokenBody } from "../../services/gateway/auth/dev-token-routes.js";
import { typeboxValidator } from "../../services/gateway/http/typebox-validator.js";
import { MatchesQuery } from "../../services/gateway/live/matches-routes.js";
import { AgentRunBody } from "../../shared/protocol/agent-bodies.js";
import { parseClientFrame } from "../../shared/protocol/client-frames.js";
import { NoQuery } from "../../shared/protocol/common.js";
import { MarketsQuery, QuoteBody, TradeBody } from "../../shared/protocol/trading-bodies.js";
import type { HttpExchange } from "./standins/runtime.js";

/**
 * The gateway's own checks of what a client sends, applied to the k6 scripts' frames and
 * requests: `parseClientFrame` for WebSocket frames (what a session runs on every frame), and
 * the gateway's route schemas through its `typeboxValidator` for HTTP. Each returns what is
 * wrong, or undefined.
 */
export function checkFrame(text: string): string | undefined {
  const parsed = parseClientFrame(text);
  return parsed.ok ? undefined : `${parsed.error.code}: ${parsed.error.message}`;
}

interface Route {
  method: string;
  path: RegExp;
  body?: TSchema;
  query?: TSchema;
  /** Whether the route takes a bearer token (docs/protocol.md "HTTP": all of /api/* but public data). */
  auth: boolean;
}

/** The routes the scripts may call, with the schemas the gateway applies to them. */
const routes: Route[] = [
  { method: "POST", path: /^\/api\/auth\/dev-token$/, body: DevTokenBody, auth: false },
  { method: "POST", path: /^\/api\/epl\/trade$/, body: EplTradeBody, auth: true },
  { method: "POST", path: /^\/api\/trades$/, body: TradeBody, auth: true },
  { method: "POST", path: /^\/api\/quotes$/, body: QuoteBody, auth: true },
  { method: "POST", path: /^\/api\/agents\/[^/]+\/runs$/, body: AgentRunBody, auth: true },
  { method: "GET", path: /^\/api\/markets$/, query: MarketsQuery, auth: false },
  { method: "GET", path: /^\/api\/matches$/, query: MatchesQuery, auth: false },
];

function validate(schema: TSchema, httpPart: "body" | "querystring", data: unknown, exchange: HttpExchange) {
  const check = typeboxValidator({ schema, httpPart, method: exchange.method, url: exchange.url });
  const result = check(data) as { error?: Error };
  return result.error?.message;
}

/** Header names are case-insensitive. */
function header(exchange: HttpExchange, name: string): string | undefined {
  const key = Object.keys(exchange.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : exchange.headers[key];
}

export function checkRequest(exchange: HttpExchange): string | undefined {
  const url = new URL(exchange.url);
  const route = routes.find((r) => r.method === exchange.method && r.path.test(url.pathname));
  if (route === undefined) return `no such route: ${exchange.method} ${url.pathname}`;
  if (route.auth && !/^Bearer \S+$/.test(header(exchange, "authorization") ?? "")) {
    return `${url.pathname} needs Authorization: Bearer <token>`;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prior = query[key];
    query[key] = prior === undefined ? value : [...[prior].flat(), value];
  }
  const queryProblem = validate(route.query ?? NoQuery, "querystring", query, exchange);
  if (queryProblem !== undefined) return queryProblem;
  if (route.body === undefined) {
    return exchange.body === null ? undefined : `${url.pathname} takes no body`;
  }
  if (!/^application\/json\b/.test(header(exchange, "content-type") ?? "")) {
    return `${url.pathname} needs Content-Type: application/json`;
  }
  let body: unknown;
  try {
    body = JSON.parse(exchange.body ?? "");
  } catch {
    return `${url.pathname}: the body is not JSON`;
  }
  return validate(route.body, "body", body, exchange);
}
