import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { AppError } from "../../../../shared/errors.js";
import { createTestPlatform } from "../../testing/test-platform.js";
import type { Tool, ToolContext } from "../tool.js";
import { createAlertTool, deleteAlertTool } from "./alerts.js";
import { getHeadToHeadTool } from "./head-to-head.js";
import { recordTradeTool } from "./journal.js";
import { getLiveScoreTool } from "./live-score.js";
import { findMarketsTool, getQuoteTool } from "./markets.js";
import { getStandingsTool } from "./standings.js";
import { getTeamFormTool } from "./team-form.js";
import { placeTradeTool } from "./trading.js";
import { getValueTool } from "./value.js";

const matchId = "2025-26-arsenal-everton";
const platform = await createTestPlatform({ openMatches: [matchId] });
after(() => platform.close());

function ctx(userId: string, callId = "call-1"): ToolContext {
  return {
    userId,
    tier: "free",
    requestId: "req-tools",
    services: platform.services,
    signal: new AbortController().signal,
    callId,
    run: { stakedCredits: 0, tradeCalls: 0 },
    progress: () => {},
  };
}

async function failure(tool: Tool, input: unknown, userId = "tools-user"): Promise<AppError> {
  const outcome = await tool.call(input, ctx(userId));
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  return (outcome as { error: AppError }).error;
}

test("bad input is refused with a clear error naming what is wrong", async () => {
  assert.match(
    (await failure(getQuoteTool, { marketId: `${matchId}.1x2`, outcome: "home" })).message,
    /shares/,
  );
  for (const tool of [findMarketsTool, getValueTool, getLiveScoreTool]) {
    const error = await failure(tool, {});
    assert.equal(error.code, "bad_request");
    assert.match(error.message, new RegExp(`^${tool.name}: give teams or matchId`));
  }
  const unknownClub = await failure(getTeamFormTool, { team: "Atlantis" });
  assert.equal(unknownClub.code, "not_found");
  assert.match(unknownClub.message, /no Premier League team matches "Atlantis"; use a club name such as/);
  assert.equal((await failure(findMarketsTool, { teams: "Real Madrid v Barcelona" })).code, "not_found");
  assert.equal((await failure(getHeadToHeadTool, { teamA: "Arsenal", teamB: "Atlantis" })).code, "not_found");
  const both = await failure(placeTradeTool, {
    marketId: `${matchId}.1x2`,
    outcome: "home",
    shares: 1,
    stake: 1,
  });
  assert.match(both.message, /either shares or stake/);
  assert.equal(
    (await failure(placeTradeTool, { marketId: `${matchId}.1x2`, outcome: "win", shares: 1 })).code,
    "invalid_outcome",
  );
  assert.equal(
    (await failure(placeTradeTool, { marketId: `${matchId}.1x2`, outcome: "home", shares: 1, userId: "x" }))
      .code,
    "bad_request",
  );
  assert.match(
    (await failure(createAlertTool, { kind: "price", marketId: `${matchId}.1x2` })).message,
    /outcome and price/,
  );
  assert.equal((await failure(deleteAlertTool, { alertId: "999" })).code, "not_found");
  assert.equal((await failure(recordTradeTool, { tradeId: "1", rationale: "mine?" })).code, "not_found");
  assert.deepEqual(await platform.exchange.getTrades({ userId: "tools-user" }), []);
});

test("getStandings with teams answers those clubs' rows, placed in the whole table", async () => {
  const whole = await getStandingsTool.call({ season: "2024-25" }, ctx("tools-user"));
  const some = await getStandingsTool.call(
    { season: "2024-25", teams: ["Spurs", "Liverpool", "Burnley"] },
    ctx("tools-user"),
  );
  assert.ok(whole.ok && some.ok);
  type Table = { clubs: number; matchesPlayed: number; table: { team: string; position: number }[] };
  const [all, asked] = [whole.output as Table, some.output as Table];
  assert.equal(all.table.length, 20);
  // Burnley were not in the 2024-25 league: no row, no error.
  assert.deepEqual(
    asked.table,
    all.table.filter((r) => r.team === "Tottenham Hotspur FC" || r.team === "Liverpool FC"),
  );
  assert.equal(asked.clubs, 20);
  assert.equal(asked.matchesPlayed, 380);
  assert.equal((await failure(getStandingsTool, { teams: ["Atlantis"] })).code, "not_found");
});

test("a trade is journaled only by its own user, and only once", async () => {
  const placed = await placeTradeTool.call(
    { marketId: `${matchId}.1x2`, outcome: "draw", shares: 2 },
    ctx("owner"),
  );
  assert.ok(placed.ok);
  const { trade } = (placed as { output: { trade: { tradeId: string } } }).output;
  assert.equal(
    (await failure(recordTradeTool, { tradeId: trade.tradeId, rationale: "not yours" }, "thief")).code,
    "not_found",
  );
  const first = await recordTradeTool.call(
    { tradeId: trade.tradeId, rationale: "draw looks cheap" },
    ctx("owner"),
  );
  const again = await recordTradeTool.call(
    { tradeId: trade.tradeId, rationale: "changed my mind" },
    ctx("owner"),
  );
  assert.deepEqual(
    [first, again].map((o) => (o as { output: { rationale: string; replayed: boolean } }).output),
    [
      { ...(first as { output: object }).output, rationale: "draw looks cheap", replayed: false },
      { ...(again as { output: object }).output, rationale: "draw looks cheap", replayed: true },
    ],
  );
});
