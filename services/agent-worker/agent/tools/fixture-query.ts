import { Type as T } from "@sinclair/typebox";
import { AppError } from "../../../../shared/errors.js";

/**
 * The two ways a tool is told which fixture: its match id, or club names as people type them
 * (`findFixtures` resolves them). Spread into a tool's input object.
 */
export const fixtureQuery = {
  matchId: T.Optional(
    T.String({ minLength: 1, maxLength: 128, description: "A match id, e.g. 2025-26-arsenal-everton." }),
  ),
  teams: T.Optional(
    T.String({ minLength: 1, maxLength: 200, description: "Club names, e.g. Arsenal v Chelsea." }),
  ),
};

/** `bad_request` naming the tool unless its call names the fixture one way or the other. */
export function requireFixture(
  tool: string,
  query: { matchId?: string | undefined; teams?: string | undefined },
) {
  if (query.matchId === undefined && query.teams === undefined) {
    throw new AppError("bad_request", `${tool}: give teams or matchId`);
  }
}
