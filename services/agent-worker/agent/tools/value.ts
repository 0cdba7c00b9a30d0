import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import { findFixtures } from "../../platform/fixtures.js";
import { fixtureValue } from "../../platform/model-value.js";
import { createTool } from "../tool.js";
import { fixtureQuery, requireFixture } from "./fixture-query.js";

export const getValueTool = createTool({
  name: "getValue",
  description:
    "The platform model's probability of every outcome of a fixture (1X2, over/under 2.5, both teams " +
    "to score; in play when the match is live) beside the market price, and the edge (model minus " +
    "price; positive means the market underprices it), best edge first.",
  input: T.Object(
    {
      ...fixtureQuery,
    },
    { additionalProperties: false },
  ),
  async run({ matchId, teams }, ctx) {
    requireFixture("getValue", { matchId, teams });
    const { fixtures } = await findFixtures(ctx.services, { teams, matchId }, 1);
    const fixture = fixtures[0];
    if (!fixture) throw new AppError("not_found", `no fixture for ${matchId ?? teams}`);
    const live = await ctx.services.live.match(fixture.matchId);
    return {
      matchId: fixture.matchId,
      home: fixture.home,
      away: fixture.away,
      kickoff: fixture.kickoff,
      status: live?.status ?? fixture.status,
      ...(live?.score ? { score: live.score, minute: live.minute } : {}),
      lines: fixtureValue(ctx.services.model, fixture, live),
    };
  },
});
