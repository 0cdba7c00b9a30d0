import { AppError } from "../../../shared/errors.js";
import type { RateLimiter } from "../../../shared/limits/rate-limiter.js";
import type { Logger } from "../../../shared/logger.js";
import type { QuoteBody, TradeBody } from "../../../shared/protocol/trading-bodies.js";
import type { Exchange, QuoteResult, TradeResult } from "../../exchange/client.js";
import type { Claims } from "../auth/claims.js";
import type { MarketReads } from "./market-reads.js";

/**
 * Quotes and trades for both transports. The user is always the token's; the exchange (and its
 * database) decides every trade, the cache is only invalidated afterwards. A trade first spends
 * one of the user's per-second trade slots (`rate_limited` with `retryAfterMs` when none is left).
 */
export interface TradeDesk {
  quote(body: QuoteBody): Promise<QuoteResult>;
  trade(claims: Claims, body: TradeBody): Promise<TradeResult>;
}

export function createTradeDesk(deps: {
  exchange: Exchange;
  limiter: RateLimiter;
  /** docs/protocol.md "Limits": trades per user per second, by tier, across every gateway. */
  tradesPerSecond: Readonly<Record<Claims["tier"], number>>;
  reads: MarketReads;
  logger: Logger;
}): TradeDesk {
  const { exchange, limiter, reads, tradesPerSecond } = deps;
  return {
    quote: (body) => exchange.quote(body),

    async trade(claims, body) {
      const decision = await limiter.take(`trade:${claims.sub}`, {
        limit: tradesPerSecond[claims.tier],
        windowMs: 1000,
      });
      if (!decision.allowed) {
        throw new AppError("rate_limited", `at most ${tradesPerSecond[claims.tier]} trades per second`, {
          retryAfterMs: decision.retryAfterMs,
        });
      }
      const trade = await exchange.trade({ ...body, userId: claims.sub });
      // The trade stands whatever happens to the cache; a failed invalidation only ages out.
      await reads
        .invalidate({ kind: "fill", userId: claims.sub, trade })
        .catch((err: unknown) => deps.logger.error({ err, userId: claims.sub }, "cache invalidation failed"));
      return trade;
    },
  };
}
