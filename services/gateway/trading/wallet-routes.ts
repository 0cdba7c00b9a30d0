import { Type as T } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { AppError } from "../../../shared/errors.js";
import { IdempotencyKey, NoQuery } from "../../../shared/protocol/common.js";
import { QuoteBody, TradeBody } from "../../../shared/protocol/trading-bodies.js";
import type { MarketReads } from "./market-reads.js";
import type { TradeDesk } from "./trade-desk.js";

const TradeHeaders = T.Object({ "idempotency-key": T.Optional(IdempotencyKey) });

/**
 * The token user's money over HTTP (docs/protocol.md "HTTP"), all behind bearer auth:
 * `GET /api/wallet` → `{"balance","currency":"credits"}`, `GET /api/positions` →
 * `{"positions":[…]}`, `GET /api/portfolio` → the portfolio valued at sell-back quotes,
 * `GET /api/trades` → `{"trades":[…],"settlements":[…]}` (each newest first, the latest 100),
 * `POST /api/quotes` → the quote, `POST /api/trades` → 201 and the filled trade. A trade's
 * `Idempotency-Key` header (or body `idempotencyKey`; both must then agree) makes a retry answer
 * the first fill instead of trading again. Rejections carry the registry's status (402, 409, 422,
 * 429 with Retry-After).
 */
export async function walletRoutes(app: FastifyInstance, options: { reads: MarketReads; desk: TradeDesk }) {
  const { reads, desk } = options;
  app.addHook("onRequest", app.authenticate);

  const none = { schema: { querystring: NoQuery } };
  app.get("/api/wallet", none, async (request) => reads.wallet(request.claims!.sub));

  app.get("/api/positions", none, async (request) => ({
    positions: await reads.positions(request.claims!.sub),
  }));

  app.get("/api/portfolio", none, async (request) => reads.portfolio(request.claims!.sub));

  app.get("/api/trades", none, async (request) => {
    const userId = request.claims!.sub;
    const [trades, settlements] = await Promise.all([reads.trades(userId), reads.settlements(userId)]);
    return { trades, settlements };
  });

  app.post<{ Body: QuoteBody }>(
    "/api/quotes",
    { schema: { querystring: NoQuery, body: QuoteBody } },
    async (request) => desk.quote(request.body),
  );

  app.post<{ Body: TradeBody; Headers: { "idempotency-key"?: string } }>(
    "/api/trades",
    { schema: { querystring: NoQuery, body: TradeBody, headers: TradeHeaders } },
    async (request, reply) => {
      const header = request.headers["idempotency-key"];
      const { body } = request;
      if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
        throw new AppError("bad_request", "Idempotency-Key header and body idempotencyKey differ");
      }
      const idempotencyKey = header ?? body.idempotencyKey;
      const trade = await desk.trade(request.claims!, {
        ...body,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      request.log.info(
        { userId: request.claims!.sub, tradeId: trade.tradeId, marketId: trade.marketId },
        "trade filled",
      );
      return reply.code(201).send(trade);
    },
  );
}
