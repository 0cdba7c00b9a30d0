import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { type Dataset, loadDataset, shortName } from "../../../shared/epl/dataset.js";
import { requireTeam } from "../../../shared/epl/teams.js";
import { AppError } from "../../../shared/errors.js";
import { NoQuery, SafeId, SafeText } from "../../../shared/protocol/common.js";
import { type HttpRunOptions, runOverHttp } from "./run-reply.js";

const outcomes = ["home", "draw", "away", "over", "under", "yes", "no"] as const;
type Outcome = (typeof outcomes)[number];

export const EplTradeBody = T.Object(
  {
    homeTeam: SafeId(100),
    awayTeam: SafeId(100),
    /** 1X2 (home, draw, away), over/under 2.5 (over, under) or both teams to score (yes, no). */
    outcome: T.Optional(T.Union(outcomes.map((o) => T.Literal(o)))),
    /** Credits to spend: with `outcome`, an instruction to buy it. */
    stake: T.Optional(T.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
    instruction: T.Optional(SafeText({ minLength: 1, maxLength: 4000 })),
  },
  { additionalProperties: false },
);
export type EplTradeBody = Static<typeof EplTradeBody>;

const outcomeWords: Record<Outcome, string> = {
  home: "the home side",
  draw: "the draw",
  away: "the away side",
  over: "over 2.5 goals",
  under: "under 2.5 goals",
  yes: "both teams to score",
  no: "not both teams to score",
};

/**
 * The trading agent's input for one fixture: the user's own instruction when given; else an
 * order to buy `outcome` for `stake` credits when both are given (the agent's risk checks still
 * apply); else a request for analysis. Team names are resolved as fans type them, so the agent
 * sees the fixture named exactly once.
 */
export function eplTradeInput(body: EplTradeBody, data: Dataset): string {
  const [home, away] = [body.homeTeam, body.awayTeam].map((name) => shortName(requireTeam(data, name))) as [
    string,
    string,
  ];
  if (home === away) throw new AppError("bad_request", "homeTeam and awayTeam name the same club");
  const fixture = `${home} v ${away}`;
  if (body.instruction !== undefined) return `${body.instruction}\n\nFixture: ${fixture}.`;
  if (body.outcome !== undefined && body.stake !== undefined) {
    return `Buy ${outcomeWords[body.outcome]} with a stake of ${body.stake} credits in ${fixture}.`;
  }
  if (body.outcome !== undefined) {
    return `Analyse ${outcomeWords[body.outcome]} in ${fixture}: the model's probability against the market price.`;
  }
  return `Analyse ${fixture}: its markets against the model's probabilities, and both clubs' standings and form.`;
}

export interface EplTradeRouteOptions extends HttpRunOptions {
  dataset?: Dataset;
}

/** `POST /api/epl/trade`: the trading agent on one fixture, in the agent run's SSE or JSON form. */
export async function eplTradeRoute(app: FastifyInstance, options: EplTradeRouteOptions) {
  const data = options.dataset ?? loadDataset();
  app.post<{ Body: EplTradeBody }>(
    "/api/epl/trade",
    { onRequest: app.authenticate, schema: { querystring: NoQuery, body: EplTradeBody } },
    async (request, reply) => {
      const input = eplTradeInput(request.body, data);
      return runOverHttp(request, reply, { agent: "eplTradingAgent", input, action: "epl.trade" }, options);
    },
  );
}
