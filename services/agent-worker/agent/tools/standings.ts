import { Type as T } from "@sinclair/typebox";
import { currentSeason, seasons } from "../../../../shared/epl/dataset.js";
import { standings } from "../../../../shared/epl/standings.js";
import { createTool } from "../tool.js";

export const getStandingsTool = createTool({
  name: "getStandings",
  description:
    "The Premier League table of a season from real results: position, played, won, drawn, lost, " +
    "goals for and against, goal difference, points and the last five results (oldest first). " +
    `Seasons: ${seasons.join(", ")}; ${currentSeason} (the default) is in progress.`,
  input: T.Object(
    {
      season: T.Optional(
        T.Union(
          seasons.map((s) => T.Literal(s)),
          { default: currentSeason, description: "Season, e.g. 2024-25." },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ season = currentSeason }, ctx) {
    const table = standings(ctx.services.epl, season);
    const matchesPlayed = table.reduce((sum, row) => sum + row.played, 0) / 2;
    return { season, matchesPlayed, table };
  },
});
