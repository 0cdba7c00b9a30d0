import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import { findFixtures } from "../../platform/fixtures.js";
import { fixtureValue } from "../../platform/model-value.js";
import { createTool } from "../tool.js";

export const getValueTool = createTool({
  name: "getValue",
  description:
    "The platform model's probability of every outcome of a fixture (1X2, over/under 2.5, both teams " +
    "to score; in play when the match is live) beside the market price, and the edge (model minus " +
    "price; positive means the market underprices it), best edge first.",
  input: T.Object(
    {
      matchId: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
      teams: T.Optional(T.String({ minLength: 1, maxLength: 200, description: "e.g. Brentford v Wolves" })),
    },
    { additionalProperties: false },
  ),
  async run({ matchId, teams }, ctx) {
    if (matchId === undefined && teams === undefined)
      throw new AppError("bad_request", "give matchId or teams");
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
