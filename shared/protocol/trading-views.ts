import { type Static, Type as T } from "@sinclair/typebox";
import { MarketId, Outcome, Side } from "./common.js";

/**
 * What the exchange answers a quote and a trade, in the protocol's units (credits, shares,
 * prices): the body of `quote.result` and `trade.filled` (docs/protocol.md "WebSocket"), of the
 * HTTP quote and trade routes, and of the exchange's own replies. Produced by our own code, so
 * typed from these schemas rather than validated at run time.
 */
export const QuoteResult = T.Object({
  marketId: MarketId,
  outcome: Outcome,
  side: Side,
  shares: T.Number(),
  cost: T.Number(),
  avgPrice: T.Number(),
  priceAfter: T.Number(),
});
export type QuoteResult = Static<typeof QuoteResult>;

/** A filled trade, with the user's balance and position in the outcome after it. */
export const TradeResult = T.Object({
  tradeId: T.String(),
  marketId: MarketId,
  outcome: Outcome,
  side: Side,
  shares: T.Number(),
  cost: T.Number(),
  avgPrice: T.Number(),
  balance: T.Number(),
  position: T.Object({ shares: T.Number(), avgCost: T.Number() }),
});
export type TradeResult = Static<typeof TradeResult>;
