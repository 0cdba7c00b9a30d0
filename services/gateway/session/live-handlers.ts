import { AppError } from "../../../shared/errors.js";
import type { FrameHandlers, SessionContext } from "./session.js";

type LiveFrameHandlers = Pick<FrameHandlers, "subscribe" | "unsubscribe">;

/**
 * A gateway built without a live stream serves no channels: each frame gets a clear
 * `unavailable` answer so clients can tell "not here" from a bad frame. With one, the session
 * dispatches these frames to `live/channel-handlers.ts` instead.
 */
export function liveHandlers(session: SessionContext): LiveFrameHandlers {
  const refuse = (frame: { id: string }) =>
    session.sendError(frame.id, new AppError("unavailable", "live channels are not enabled on this gateway"));
  return { subscribe: refuse, unsubscribe: refuse };
}
