import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";
import { maxAlertsPerUser } from "../../../../shared/journal/alert-book.js";
import { createTool } from "../tool.js";

export const createAlertTool = createTool({
  name: "createAlert",
  description:
    "Creates an alert delivered on the user's user channel (kind alert). price: fires once when the " +
    "outcome's price reaches `price` going `direction` (above or below). score: fires on every goal, " +
    `half time and full time of the match. At most ${maxAlertsPerUser} alerts per user.`,
  input: T.Object(
    {
      kind: T.Union([T.Literal("price"), T.Literal("score")]),
      marketId: T.Optional(T.String({ minLength: 1, maxLength: 128, description: "price alerts" })),
      outcome: T.Optional(T.String({ minLength: 1, maxLength: 64, description: "price alerts" })),
      direction: T.Optional(T.Union([T.Literal("above"), T.Literal("below")], { default: "above" })),
      price: T.Optional(T.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: "price alerts" })),
      matchId: T.Optional(T.String({ minLength: 1, maxLength: 128, description: "score alerts" })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const { alerts, exchange, epl } = ctx.services;
    if (input.kind === "score") {
      const match = input.matchId === undefined ? undefined : epl.byId.get(input.matchId);
      if (!match) throw new AppError("bad_request", "a score alert needs the matchId of a fixture");
      const alert = await alerts.create({ kind: "score", userId: ctx.userId, matchId: match.id });
      return {
        alert,
        match: { home: match.home, away: match.away, kickoff: match.kickoff, status: match.status },
      };
    }
    if (input.marketId === undefined || input.outcome === undefined || input.price === undefined) {
      throw new AppError("bad_request", "a price alert needs marketId, outcome and price");
    }
    const market = await exchange.getMarket({ marketId: input.marketId });
    const now = market.prices[input.outcome];
    if (now === undefined) {
      throw new AppError("invalid_outcome", `${market.marketId} has outcomes ${market.outcomes.join(", ")}`);
    }
    const alert = await alerts.create({
      kind: "price",
      userId: ctx.userId,
      marketId: market.marketId,
      outcome: input.outcome,
      direction: input.direction ?? "above",
      price: Math.round(input.price * 10_000) / 10_000,
    });
    // An alert whose level is already passed fires on the next price event: the user should know.
    const level = Math.round(input.price * 10_000) / 10_000;
    const holdsNow = (input.direction ?? "above") === "above" ? now >= level : now <= level;
    return { alert, market: { title: market.title, status: market.status, priceNow: now }, holdsNow };
  },
});

export const listAlertsTool = createTool({
  name: "listAlerts",
  description: "The user's alerts that have not fired yet, oldest first.",
  input: T.Object({}, { additionalProperties: false }),
  async run(_input, ctx) {
    return { alerts: await ctx.services.alerts.list(ctx.userId) };
  },
});

export const deleteAlertTool = createTool({
  name: "deleteAlert",
  description: "Deletes one of the user's alerts by its alertId.",
  input: T.Object({ alertId: T.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }),
  async run({ alertId }, ctx) {
    const deleted = await ctx.services.alerts.remove(ctx.userId, alertId);
    if (!deleted) throw new AppError("not_found", `you have no alert ${alertId}`);
    return { deleted: alertId };
  },
});
