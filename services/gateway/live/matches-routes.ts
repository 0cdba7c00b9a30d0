import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { currentSeason, seasons } from "../../../shared/epl/dataset.js";
import { standings } from "../../../shared/epl/standings.js";
import { AppError } from "../../../shared/errors.js";
import { MatchId, NoQuery } from "../../../shared/protocol/common.js";
import type { MatchBoard } from "./match-board.js";

const SeasonSchema = T.Union(seasons.map((s) => T.Literal(s)));
export const MatchesQuery = T.Object(
  {
    status: T.Optional(T.Union([T.Literal("scheduled"), T.Literal("live"), T.Literal("finished")])),
    season: T.Optional(SeasonSchema),
  },
  { additionalProperties: false },
);
type MatchesQuery = Static<typeof MatchesQuery>;
const MatchParams = T.Object({ matchId: MatchId }, { additionalProperties: false });
type MatchParams = Static<typeof MatchParams>;
const StandingsQuery = T.Object({ season: T.Optional(SeasonSchema) }, { additionalProperties: false });
type StandingsQuery = Static<typeof StandingsQuery>;

/**
 * Public match data (docs/protocol.md "HTTP"), the fixtures merged with the live state the gateway's
 * `match.*` subscription keeps:
 * - `GET /api/matches?status=scheduled|live|finished&season=` → `{"matches":[MatchView…]}` in
 *   kick-off order; `season` defaults to the current one (the protocol does not name it).
 * - `GET /api/matches/:matchId` → the MatchView (`minute` and `score` once it has started).
 * - `GET /api/standings?season=` → `{"season","table":[StandingRow…]}`, counting the matches
 *   finished live as well as the recorded results.
 */
export async function matchesRoutes(app: FastifyInstance, options: { matches: MatchBoard }) {
  const { matches } = options;

  app.get<{ Querystring: MatchesQuery }>(
    "/api/matches",
    { schema: { querystring: MatchesQuery } },
    async (request) => {
      const { status, season = currentSeason } = request.query;
      return { matches: matches.list(status === undefined ? { season } : { season, status }) };
    },
  );

  app.get<{ Params: MatchParams }>(
    "/api/matches/:matchId",
    { schema: { params: MatchParams, querystring: NoQuery } },
    async (request) => {
      const view = matches.view(request.params.matchId);
      if (view === undefined) throw new AppError("not_found", `no match ${request.params.matchId}`);
      return view;
    },
  );

  app.get<{ Querystring: StandingsQuery }>(
    "/api/standings",
    { schema: { querystring: StandingsQuery } },
    async (request) => {
      const season = request.query.season ?? currentSeason;
      return { season, table: standings(matches.results(), season) };
    },
  );
}
