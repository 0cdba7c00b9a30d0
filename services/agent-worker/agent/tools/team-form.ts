import { Type as T } from "@sinclair/typebox";
import { teamForm } from "../../../../shared/epl/standings.js";
import { requireTeam } from "../../../../shared/epl/teams.js";
import { createTool } from "../tool.js";

export const getTeamFormTool = createTool({
  name: "getTeamForm",
  description:
    "A team's most recent finished Premier League matches across seasons, newest first: date, " +
    "opponent, venue, score and result, with totals (won, drawn, lost, goals, points). The team " +
    'may be named as people say it ("Man City", "Spurs", "Arsenal").',
  input: T.Object(
    {
      team: T.String({ minLength: 1, maxLength: 100, description: "Team name." }),
      count: T.Optional(
        T.Integer({ minimum: 1, maximum: 38, default: 5, description: "How many matches (default 5)." }),
      ),
    },
    { additionalProperties: false },
  ),
  async run({ team, count = 5 }, ctx) {
    const name = requireTeam(ctx.services.epl, team);
    const form = teamForm(ctx.services.epl, name, count);
    return { ...form, form: form.matches.map((m) => m.result).join("") };
  },
});
