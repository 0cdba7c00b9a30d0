import { AppError, toAppError } from "../../../shared/errors.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import type { SessionContext } from "../session/session.js";
import type { TradeDesk } from "./trade-desk.js";

/** What the trading frames need of their session. */
export interface TradingSession extends SessionContext {
  readonly id: string;
  readonly tradeDesk: TradeDesk | undefined;
}

function serving(session: TradingSession): TradeDesk {
  if (session.tradeDesk === undefined)
    throw new AppError("unavailable", "trading is not enabled on this gateway");
  return session.tradeDesk;
}

/** `quote` → `quote.result` (or an `error` frame). */
export async function handleQuote(session: TradingSession, frame: ClientFrameOf<"quote">): Promise<void> {
  const { type: _type, id, ...body } = frame;
  const result = await serving(session).quote(body);
  session.send({ type: "quote.result", id, ...result });
}

/**
 * `trade` → `trade.filled` or `trade.rejected` with the error's code. A trade frame without
 * `idempotencyKey` gets one derived from this session and the frame id, so a frame the client
 * resends (it saw no answer) never trades twice.
 */
export async function handleTrade(session: TradingSession, frame: ClientFrameOf<"trade">): Promise<void> {
  const { type: _type, id, ...body } = frame;
  const idempotencyKey = body.idempotencyKey ?? `ws:${session.id}:${id}`;
  try {
    const filled = await serving(session).trade(session.claims, { ...body, idempotencyKey });
    session.logger.info({ tradeId: filled.tradeId, marketId: filled.marketId }, "trade filled");
    session.send({ type: "trade.filled", id, trade: filled });
  } catch (err) {
    const error = toAppError(err);
    if (error.code === "internal") session.logger.error({ err, frameId: id }, "trade failed");
    else session.logger.info({ code: error.code, marketId: body.marketId }, "trade rejected");
    session.send({
      type: "trade.rejected",
      id,
      code: error.code,
      message: error.message,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    });
  }
}
