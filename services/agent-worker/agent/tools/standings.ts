import { Type as T } from "@sinclair/typebox";
import { currentSeason, seasons } from "../../../../shared/epl/dataset.js";
import { standings } from "../../../../shared/epl/standings.js";
import { requireTeam } from "../../../../shared/epl/teams.js";
import { createTool } from "../tool.js";

export const getStandingsTool = createTool({
  name: "getStandings",
  description:
    "The Premier League table of a season from real results: position, played, won, drawn, lost, " +
    "goals for and against, goal difference, points and the last five results (oldest first). " +
    `Seasons: ${seasons.join(", ")}; ${currentSeason} (the default) is in progress. With \`teams\`, ` +
    "only those clubs' rows (their positions are still in the whole table): ask for the whole table " +
    "only when the question is about the league.",
  input: T.Object(
    {
      season: T.Optional(
        T.Union(
          seasons.map((s) => T.Literal(s)),
          { default: currentSeason, description: "Season, e.g. 2024-25." },
        ),
      ),
      teams: T.Optional(
        T.Array(T.String({ minLength: 1, maxLength: 100 }), {
          minItems: 1,
          maxItems: 20,
          description: 'Only these clubs, named as people say them ("Man City", "Spurs").',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ season = currentSeason, teams }, ctx) {
    const table = standings(ctx.services.epl, season);
    const matchesPlayed = table.reduce((sum, row) => sum + row.played, 0) / 2;
    const clubs = table.length;
    if (teams === undefined) return { season, matchesPlayed, clubs, table };
    const names = new Set(teams.map((team) => requireTeam(ctx.services.epl, team)));
    // A club named but not in this season's league has no row: the answer says so.
    return { season, matchesPlayed, clubs, table: table.filter((row) => names.has(row.team)) };
  },
});
