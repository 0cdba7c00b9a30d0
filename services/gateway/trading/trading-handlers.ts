import { AppError, toAppError } from "../../../shared/errors.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import type { SessionContext } from "../session/frame-handlers.js";
import type { TradeDesk } from "./trade-desk.js";

/** The gateway's desk; absent (a gateway built without trading): `unavailable`. */
function serving(desk: TradeDesk | undefined): TradeDesk {
  if (desk === undefined) throw new AppError("unavailable", "trading is not enabled on this gateway");
  return desk;
}

/** `quote` → `quote.result` (or an `error` frame). */
export async function handleQuote(
  session: SessionContext,
  desk: TradeDesk | undefined,
  frame: ClientFrameOf<"quote">,
): Promise<void> {
  const { type: _type, id, ...body } = frame;
  const result = await serving(desk).quote(body);
  session.send({ type: "quote.result", id, ...result });
}

/**
 * `trade` → `trade.filled` or `trade.rejected` with the error's code. A trade frame without
 * `idempotencyKey` gets one derived from this session and the frame id, so a frame the client
 * resends (it saw no answer) never trades twice.
 */
export async function handleTrade(
  session: SessionContext,
  desk: TradeDesk | undefined,
  frame: ClientFrameOf<"trade">,
): Promise<void> {
  const { type: _type, id, ...body } = frame;
  const idempotencyKey = body.idempotencyKey ?? `ws:${session.id}:${id}`;
  try {
    const filled = await serving(desk).trade(session.claims, { ...body, idempotencyKey });
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
