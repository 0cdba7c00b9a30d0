import { AppError } from "../../../shared/errors.js";
import type { FrameHandlers, SessionContext } from "./session.js";

type LiveFrameHandlers = Pick<FrameHandlers, "subscribe" | "unsubscribe">;

/**
 * Live channels are not served by this gateway yet: each frame gets a clear `unavailable` answer
 * so clients can tell "not here" from a bad frame. Channel fan-out replaces these entries of the
 * session's dispatch table.
 */
export function liveHandlers(session: SessionContext): LiveFrameHandlers {
  const refuse = (frame: { id: string }) =>
    session.sendError(
      frame.id,
      new AppError("unavailable", "live channels are not enabled on this gateway yet"),
    );
  return { subscribe: refuse, unsubscribe: refuse };
}
