import { type Static, Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { Tier, UserId } from "../../../shared/protocol/common.js";
import type { TokenIssuer } from "./claims.js";

export const DevTokenBody = T.Object({ userId: UserId, tier: Tier }, { additionalProperties: false });

/**
 * `POST /api/auth/dev-token` (docs/protocol.md "HTTP"): any user id, no password. Registered only where
 * the development issuer is enabled; elsewhere the path is an ordinary 404.
 */
export async function devTokenRoutes(app: FastifyInstance, options: { issuer: TokenIssuer }) {
  app.post<{ Body: Static<typeof DevTokenBody> }>(
    "/api/auth/dev-token",
    { schema: { body: DevTokenBody } },
    async (request) => {
      request.log.info({ userId: request.body.userId, action: "dev-token" }, "development token issued");
      return options.issuer.issue(request.body.userId, request.body.tier);
    },
  );
}
