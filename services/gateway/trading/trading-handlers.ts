import { AppError, toAppError } from "../../../shared/errors.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import type { FrameHandlers, SessionContext } from "../session/session.js";
import type { TradeDesk } from "./trade-desk.js";

type TradingFrameHandlers = Pick<FrameHandlers, "quote" | "trade">;

/**
 * `quote` → `quote.result` (or an `error` frame); `trade` → `trade.filled` or `trade.rejected`
 * with the error's code. A trade frame without `idempotencyKey` gets one derived from this
 * session and the frame id, so a frame the client resends (it saw no answer) never trades twice.
 */
export function createTradingHandlers(
  session: SessionContext & { readonly id: string },
  desk: TradeDesk | undefined,
): TradingFrameHandlers {
  const serving = (): TradeDesk => {
    if (desk === undefined) throw new AppError("unavailable", "trading is not enabled on this gateway");
    return desk;
  };

  const quote = async ({ type: _type, id, ...body }: ClientFrameOf<"quote">) => {
    const result = await serving().quote(body);
    session.send({ type: "quote.result", id, ...result });
  };

  const trade = async ({ type: _type, id, ...body }: ClientFrameOf<"trade">) => {
    const idempotencyKey = body.idempotencyKey ?? `ws:${session.id}:${id}`;
    try {
      const filled = await serving().trade(session.claims, { ...body, idempotencyKey });
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
  };

  return { quote, trade };
}
