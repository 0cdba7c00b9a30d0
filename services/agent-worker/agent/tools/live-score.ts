import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import { findFixtures } from "../../platform/fixtures.js";
import { createTool } from "../tool.js";
import { fixtureQuery, requireFixture } from "./fixture-query.js";

export const getLiveScoreTool = createTool({
  name: "getLiveScore",
  description:
    "A match's state: live score, minute and events (goals, cards, half and full time) while the " +
    "match feed plays it; otherwise scheduled, or the real final and half-time score. By match id, " +
    "or by club names (the most tradeable fixture of those clubs).",
  input: T.Object(
    {
      ...fixtureQuery,
    },
    { additionalProperties: false },
  ),
  async run({ matchId, teams }, ctx) {
    requireFixture("getLiveScore", { matchId, teams });
    const id = matchId ?? (await findFixtures(ctx.services, { teams }, 1)).fixtures[0]?.matchId;
    const state = id === undefined ? undefined : await ctx.services.live.match(id);
    if (!state) throw new AppError("not_found", `no match ${matchId ?? teams}`);
    return state;
  },
});
