/**
 * The one place the k6 scripts speak the platform's protocol (docs/protocol.md): where the
 * gateway is, how a virtual user gets a token, every client frame a script sends, and the HTTP
 * requests' bodies and headers. The frame and body types are the protocol's own (inferred from
 * its schemas in shared/protocol/, type-only imports that k6 erases); the frames are built by the
 * client library's pure builders (shared/client/frames.ts), so the scripts run from a checkout of
 * the repository (or a `k6 archive` of one). test/k6/ runs this code against the schemas.
 */
import http from "k6/http";
import { setTimeout } from "k6/timers";
// k6 ≥ 1.6. On k6 0.57–1.5 import the same class from "k6/experimental/websockets" instead.
import { WebSocket } from "k6/websockets";
import type { ClientFrame } from "../../../shared/protocol/client-frames.ts";
import type { ServerFrame } from "../../../shared/protocol/server-frames.ts";

export { WebSocket };

/** The gateway's HTTP base URL (`BASE_URL`), without a trailing slash. */
export const baseUrl = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
/** The WebSocket endpoint (`WS_URL`); by default `/ws` on the same host as `BASE_URL`. */
export const wsUrl = __ENV.WS_URL || `${baseUrl.replace(/^http/, "ws")}/ws`;

/** The service levels every script's thresholds mirror: p99 first agent delta, p99 trade, p99 live delivery, errors. */
export const slo = {
  firstDeltaP99Ms: 1000,
  tradeP99Ms: 100,
  liveDeliveryP99Ms: 500,
  errorRate: 0.01,
} as const;

/** A whole number from the environment, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${raw}`);
  return Math.floor(value);
}

/**
 * The socket scripts' load shape: ramp to `vus` over RAMP (default 30 s), hold for HOLD (default
 * 2 m), ramp down over 10 s, letting each iteration finish within `gracefulRampDown`.
 */
export function rampingUsers(vus: number, gracefulRampDown: string) {
  return {
    executor: "ramping-vus" as const,
    startVUs: 0,
    stages: [
      { duration: __ENV.RAMP || "30s", target: vus },
      { duration: __ENV.HOLD || "2m", target: vus },
      { duration: "10s", target: 0 },
    ],
    gracefulRampDown,
  };
}

/** Resolves after `ms`; unlike k6's `sleep`, it lets the VU's sockets and timers run meanwhile. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

// ---- Tokens -----------------------------------------------------------------------------------

export type Tier = "free" | "pro";

/**
 * A user id of this VU: `USER_PREFIX` (default: the script's own), the VU number, and `slot` when
 * the VU acts as several users. Ids are unique within one k6 process; give each load generator
 * its own `USER_PREFIX`.
 */
export function vuUserId(prefix: string, slot?: number): string {
  const id = `${__ENV.USER_PREFIX || prefix}-${__VU}`;
  return slot === undefined ? id : `${id}-${slot}`;
}

/** The tier dev tokens are issued for (`TIER`, default `pro`: the higher limits of docs/protocol.md). */
export function vuTier(): Tier {
  const tier = __ENV.TIER || "pro";
  if (tier !== "free" && tier !== "pro") throw new Error(`TIER must be free or pro, got ${tier}`);
  return tier;
}

interface HeldToken {
  token: string;
  expiresAtMs: number;
}
const tokens: Record<string, HeldToken> = {};
/** A token is replaced this long before it expires, so no request carries an expired one. */
const refreshBeforeMs = 60_000;

/**
 * A token for `userId`: `TOKEN` when the deployment issues its own (every VU then acts as that
 * token's user), else one from `POST /api/auth/dev-token`, which only a development deployment
 * serves (docs/protocol.md "HTTP"). Each VU keeps its token until a minute before it expires.
 */
export async function tokenFor(userId: string, tier: Tier): Promise<string> {
  if (__ENV.TOKEN) return __ENV.TOKEN;
  const held = tokens[userId];
  if (held !== undefined && held.expiresAtMs - refreshBeforeMs > Date.now()) return held.token;
  const body: { userId: string; tier: Tier } = { userId, tier };
  const response = await http.asyncRequest("POST", `${baseUrl}/api/auth/dev-token`, JSON.stringify(body), {
    headers: { "Content-Type": "application/json" },
    tags: { name: "dev-token" },
  });
  if (response.status !== 200) {
    throw new Error(
      `POST /api/auth/dev-token answered ${response.status}: set TOKEN, or enable DEV_TOKENS on the gateway`,
    );
  }
  const answer = JSON.parse(String(response.body)) as { token: string; expiresAt: string };
  tokens[userId] = { token: answer.token, expiresAtMs: Date.parse(answer.expiresAt) };
  return answer.token;
}

// ---- HTTP -------------------------------------------------------------------------------------

/** Headers of an authenticated JSON request. */
export function jsonHeaders(token: string): Record<string, string> {
  return { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
}

/** `POST /api/epl/trade` (services/gateway/agent-runs/epl-trade-route.ts). */
export interface EplTradeRequest {
  homeTeam: string;
  awayTeam: string;
  outcome?: "home" | "draw" | "away" | "over" | "under" | "yes" | "no";
  stake?: number;
  instruction?: string;
}

/** An open market as `GET /api/markets` lists it: the fields the scripts use. */
export interface MarketSummary {
  marketId: string;
  outcomes: string[];
}

/** Up to `count` open markets, from the public `GET /api/markets?status=open`. */
export async function openMarkets(count: number): Promise<MarketSummary[]> {
  const response = await http.asyncRequest("GET", `${baseUrl}/api/markets?status=open`, null, {
    tags: { name: "markets" },
  });
  if (response.status !== 200) throw new Error(`GET /api/markets answered ${response.status}`);
  const { markets } = JSON.parse(String(response.body)) as { markets: MarketSummary[] };
  if (markets.length === 0) throw new Error("no open market: is the market feed running?");
  return markets.slice(0, count).map((m) => ({ marketId: m.marketId, outcomes: m.outcomes }));
}

/** Fixtures not yet played, from the public `GET /api/matches?status=scheduled`. */
export async function scheduledFixtures(count: number): Promise<{ home: string; away: string }[]> {
  const response = await http.asyncRequest("GET", `${baseUrl}/api/matches?status=scheduled`, null, {
    tags: { name: "matches" },
  });
  if (response.status !== 200) throw new Error(`GET /api/matches answered ${response.status}`);
  const { matches } = JSON.parse(String(response.body)) as { matches: { home: string; away: string }[] };
  if (matches.length === 0) throw new Error("no scheduled fixture left in the season");
  return matches.slice(0, count).map((m) => ({ home: m.home, away: m.away }));
}

// ---- WebSocket frames -------------------------------------------------------------------------

let frameCount = 0;
/** A frame id unique within the VU (docs/protocol.md: 1–64 characters). */
export function frameId(kind: string): string {
  frameCount += 1;
  return `${kind}-${__VU}-${frameCount}`;
}

// The frames themselves are the client library's (shared/client/frames.ts): pure builders, the
// one module of the library k6's runtime can run, so every frame is defined once.
export {
  type AgentAsk,
  type ChannelPosition,
  clientFrames as frames,
  type TradeOrder,
} from "../../../shared/client/frames.ts";

/** Credits rounded up to the cent: the protocol takes at most 2 decimals (docs/protocol.md "Units"). */
export function creditsCeil(value: number): number {
  return Math.ceil(Math.round(value * 1e6) / 1e4) / 100;
}

/** Credits rounded down to the cent. */
export function creditsFloor(value: number): number {
  return Math.floor(Math.round(value * 1e6) / 1e4) / 100;
}

export function send(socket: WebSocket, frame: ClientFrame): void {
  socket.send(JSON.stringify(frame));
}

/** A server frame from a message event's text. */
export function parseServerFrame(data: unknown): ServerFrame {
  return JSON.parse(String(data)) as ServerFrame;
}

/** Options of a socket: the token as a header, and a metric tag naming the script's use. */
export function socketParams(token: string, name: string) {
  return { headers: { Authorization: `Bearer ${token}` }, tags: { name } };
}
