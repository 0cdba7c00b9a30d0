import { Type as T } from "@sinclair/typebox";
import { requireTeam } from "../../../../shared/epl/teams.js";
import { AppError } from "../../../../shared/errors.js";
import { headToHead } from "../../platform/head-to-head.js";
import { createTool } from "../tool.js";

export const getHeadToHeadTool = createTool({
  name: "getHeadToHead",
  description:
    "Every Premier League meeting of two clubs since 2023-24 from real results, newest first (date, " +
    "venue, score, winner), with wins, draws and goals from the first club's side, and their next meeting.",
  input: T.Object(
    {
      teamA: T.String({ minLength: 1, maxLength: 100, description: "First club, as people name it." }),
      teamB: T.String({ minLength: 1, maxLength: 100, description: "Second club." }),
    },
    { additionalProperties: false },
  ),
  async run({ teamA, teamB }, ctx) {
    const [a, b] = [teamA, teamB].map((name) => requireTeam(ctx.services.epl, name)) as [string, string];
    if (a === b) throw new AppError("bad_request", "name two different clubs");
    return headToHead(ctx.services.epl, a, b);
  },
});
