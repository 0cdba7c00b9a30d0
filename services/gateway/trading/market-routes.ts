import type { FastifyInstance } from "fastify";
import { NoQuery } from "../../../shared/protocol/common.js";
import { MarketParams, MarketsQuery } from "../../../shared/protocol/trading-bodies.js";
import type { MarketReads } from "./market-reads.js";

/**
 * Public market data (docs/protocol.md "HTTP"): `GET /api/markets?matchId=&status=` →
 * `{"markets":[…]}`, `GET /api/markets/:marketId` → the market, `GET /api/markets/:marketId/history`
 * → `{"marketId","points":[{"at","prices"}]}` (oldest first). Served through the read cache.
 */
export async function marketRoutes(app: FastifyInstance, options: { reads: MarketReads }) {
  const { reads } = options;

  app.get<{ Querystring: MarketsQuery }>(
    "/api/markets",
    { schema: { querystring: MarketsQuery } },
    async (request) => ({ markets: await reads.listMarkets(request.query) }),
  );

  app.get<{ Params: MarketParams }>(
    "/api/markets/:marketId",
    { schema: { params: MarketParams, querystring: NoQuery } },
    async (request) => reads.market(request.params.marketId),
  );

  app.get<{ Params: MarketParams }>(
    "/api/markets/:marketId/history",
    { schema: { params: MarketParams, querystring: NoQuery } },
    async (request) => ({
      marketId: request.params.marketId,
      points: await reads.history(request.params.marketId),
    }),
  );
}
