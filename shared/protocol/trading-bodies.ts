import { type Static, Type as T } from "@sinclair/typebox";
import { clientFrameSchemas } from "./client-frames.js";
import { MarketId, MarketStatus, MatchId } from "./common.js";

/**
 * Trading and market data over HTTP (docs/protocol.md "HTTP"): request bodies are the WebSocket
 * frames without `type` and `id`, derived from them so the two transports cannot drift.
 */
export const QuoteBody = T.Omit(clientFrameSchemas.quote, ["type", "id"]);
export type QuoteBody = Static<typeof QuoteBody>;

export const TradeBody = T.Omit(clientFrameSchemas.trade, ["type", "id"]);
export type TradeBody = Static<typeof TradeBody>;

export const MarketsQuery = T.Object(
  {
    matchId: T.Optional(MatchId),
    status: T.Optional(MarketStatus),
  },
  { additionalProperties: false },
);
export type MarketsQuery = Static<typeof MarketsQuery>;

export const MarketParams = T.Object({ marketId: MarketId }, { additionalProperties: false });
export type MarketParams = Static<typeof MarketParams>;
