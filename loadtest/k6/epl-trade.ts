/**
 * An HTTP client of the headline request, `POST /api/epl/trade` (docs/protocol.md "HTTP"): the
 * trading agent on one fixture, answered as the finished run (JSON). Arrivals come at a fixed
 * rate whatever the server does (an open loop), so a slow server shows as latency, not as fewer
 * requests. Bodies rotate through analysis, an outcome to analyse, and a small stake to buy.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e RATE=50 loadtest/k6/epl-trade.ts
 *
 * The JSON answer comes when the run has finished, so its p99 bounds the first delta's from
 * above: a pass proves the first-delta objective, a miss needs agent-trader.ts to tell.
 */
import { check } from "k6";
import http from "k6/http";
import { Rate } from "k6/metrics";
import type { Options } from "k6/options";
import {
  baseUrl,
  type EplTradeRequest,
  envInt,
  jsonHeaders,
  scheduledFixtures,
  slo,
  tokenFor,
  vuTier,
  vuUserId,
} from "./lib/platform.ts";

/** Each VU acts as this many users in turn, so the per-user run limits bind no sooner than a user's would. */
const usersPerVu = envInt("USERS_PER_VU", 10);

/** Per request: whether it came back 200 with a run that finished. */
const eplTradeOk = new Rate("epl_trade_ok");

export const options: Options = {
  scenarios: {
    epl_trade: {
      executor: "constant-arrival-rate",
      rate: envInt("RATE", 20),
      timeUnit: "1s",
      duration: __ENV.DURATION || "1m",
      preAllocatedVUs: envInt("VUS", 50),
      maxVUs: envInt("MAX_VUS", 200),
    },
  },
  thresholds: {
    "http_req_duration{name:epl-trade}": [`p(99)<=${slo.firstDeltaP99Ms}`, "avg<500"],
    "http_req_failed{name:epl-trade}": [`rate<${slo.errorRate}`],
    epl_trade_ok: [`rate>=${1 - slo.errorRate}`],
  },
};

/** Fixtures to ask about, read once per VU (each VU has its own module state). */
let fixtures: { home: string; away: string }[] | undefined;

/** The request of iteration `n` on `fixture`: analysis, one outcome, or a stake on it. */
function requestFor(n: number, fixture: { home: string; away: string }): EplTradeRequest {
  const teams = { homeTeam: fixture.home, awayTeam: fixture.away };
  switch (n % 3) {
    case 0:
      return teams;
    case 1:
      return { ...teams, outcome: "home" };
    default:
      return { ...teams, outcome: "draw", stake: 5 };
  }
}

export default async function (): Promise<void> {
  if (fixtures === undefined) fixtures = await scheduledFixtures(envInt("FIXTURES", 20));
  const token = await tokenFor(vuUserId("k6-epl", __ITER % usersPerVu), vuTier());
  const fixture = fixtures[(__VU + __ITER) % fixtures.length]!;
  const response = await http.asyncRequest(
    "POST",
    `${baseUrl}/api/epl/trade`,
    JSON.stringify(requestFor(__ITER, fixture)),
    { headers: jsonHeaders(token), tags: { name: "epl-trade" } },
  );
  const ok = check(response, {
    "status 200": (r) => r.status === 200,
    "run finished": (r) => {
      if (r.status !== 200) return false;
      const run = JSON.parse(String(r.body)) as { requestId?: string; stopReason?: string };
      return typeof run.requestId === "string" && run.stopReason === "end_turn";
    },
  });
  eplTradeOk.add(ok);
}
