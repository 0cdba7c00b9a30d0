import { AppError } from "../../../shared/errors.js";
import type { SessionContext } from "./session.js";

/**
 * `subscribe` and `unsubscribe` on a gateway built without a live stream: it serves no
 * channels, and each frame gets a clear `unavailable` answer so clients can tell "not here"
 * from a bad frame. With one, the session dispatches these frames to
 * `live/channel-handlers.ts` instead.
 */
export function refuseChannels(session: SessionContext, frame: { id: string }): void {
  session.sendError(frame.id, new AppError("unavailable", "live channels are not enabled on this gateway"));
}
