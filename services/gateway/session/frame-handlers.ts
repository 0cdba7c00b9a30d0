import type { AppError } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/logger.js";
import type { ClientFrameOf, ClientFrameType } from "../../../shared/protocol/client-frames.js";
import type { ServerFrame } from "../../../shared/protocol/server-frames.js";
import type { Claims } from "../auth/claims.js";
import type { TextFrame } from "./socket-like.js";

/** What frame handlers may use of their session (`session.ts` implements it). */
export interface SessionContext {
  readonly id: string;
  /** The current token's claims (a refresh may change `tier` and `exp`, never `sub`). */
  readonly claims: Claims;
  readonly isClosed: boolean;
  readonly logger: Logger;
  send(frame: ServerFrame): void;
  sendError(id: string | undefined, error: AppError): void;
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Writes a frame already serialised, without checking the backlog (the live outbox checks it). */
  writeText(text: TextFrame): void;
  /** Ends the session as a slow consumer: `error` `slow_consumer`, then close 4008. */
  closeSlow(): void;
}

/** The frames a session answers itself: `ping`, and `auth`, which refreshes its own token. */
type SessionFrameType = "ping" | "auth";

/** The client frames a session hands to the app's features. */
export type FeatureFrameType = Exclude<ClientFrameType, SessionFrameType>;

/**
 * One session's handlers, one per feature frame type. A handler's failure, thrown or rejected,
 * is the frame's `error` answer (`internal` logged as our fault); the session stays open.
 */
export type FrameHandlers = {
  [K in FeatureFrameType]: (frame: ClientFrameOf<K>) => void | Promise<void>;
} & {
  /** The session ended: stop relaying and detach; agent runs go on and can be resumed. */
  close(): void;
};

/**
 * Makes one session's frame handlers when it opens. The app builds it from its features
 * (`session-handlers.ts`) and hands it to every session, so the session imports no feature.
 */
export type SessionHandlers = (session: SessionContext) => FrameHandlers;
