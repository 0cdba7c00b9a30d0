import { randomUUID } from "node:crypto";
import { AppError, toAppError } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/logger.js";
import {
  type ClientFrame,
  type ClientFrameOf,
  parseClientFrame,
} from "../../../shared/protocol/client-frames.js";
import { closeCodes } from "../../../shared/protocol/close-codes.js";
import type { ErrorFrame, ServerFrame } from "../../../shared/protocol/server-frames.js";
import { ROOT_CONTEXT, SpanKind, traced, tracingOn } from "../../../shared/telemetry/spans.js";
import { type Claims, expiresAt, type TokenVerifier } from "../auth/claims.js";
import type { GatewayMetrics } from "../metrics.js";
import type { FeatureFrameType, FrameHandlers, SessionContext, SessionHandlers } from "./frame-handlers.js";
import type { Heartbeat } from "./heartbeat.js";
import type { SocketLike, TextFrame } from "./socket-like.js";
import { createTokenBucket, type TokenBucket } from "./token-bucket.js";

export interface SessionDeps {
  gatewayId: string;
  /** WebSocket ping interval; a peer silent for twice this is closed. */
  heartbeatMs: number;
  /** The gateway's one heartbeat timer, which beats this session every `heartbeatMs`. */
  heartbeat: Heartbeat;
  /** Bytes a socket may hold unsent before it is closed as a slow consumer (4008). */
  maxBufferedBytes: number;
  /** Client frames per second per socket, and the burst allowed above that rate. */
  frameRate: { perSecond: number; burst: number };
  tokens: TokenVerifier;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Makes this session's handlers of every frame but `ping` and `auth` (the app's features). */
  handlers: SessionHandlers;
}

/**
 * One client connection, independent of the transport (docs/protocol.md "WebSocket"): welcome,
 * heartbeat, token expiry and refresh, per-socket frame rate limit, frame validation and dispatch,
 * and the outbound bound. The adapter feeds it text frames, binary frames, pongs and the close.
 */
export class Session implements SessionContext {
  readonly id = randomUUID();
  #claims: Claims;
  #closed = false;
  #lastHeard = Date.now();
  #expiry: NodeJS.Timeout | undefined;
  readonly #bucket: TokenBucket;
  /** Frames refused in a row by the rate limit; beyond one more burst the socket is closed. */
  #refusedInARow = 0;
  readonly #handlers: FrameHandlers;

  constructor(
    private readonly socket: SocketLike,
    claims: Claims,
    private readonly deps: SessionDeps,
  ) {
    this.#claims = claims;
    this.#bucket = createTokenBucket(deps.frameRate);
    this.#handlers = deps.handlers(this);
  }

  get claims(): Claims {
    return this.#claims;
  }

  /**
   * The app's logger bound to this session, made for each use: a session logs a few lines in its
   * life, and a child kept for it would cost every idle socket its bindings.
   */
  get logger(): Logger {
    return this.deps.logger.child({ sessionId: this.id, userId: this.#claims.sub });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  start(): void {
    this.deps.metrics.socketOpened(this.#claims.sub);
    this.logger.info({ tier: this.#claims.tier }, "session opened");
    this.send({
      type: "welcome",
      sessionId: this.id,
      gatewayId: this.deps.gatewayId,
      serverTime: new Date().toISOString(),
      heartbeatMs: this.deps.heartbeatMs,
    });
    this.deps.heartbeat.add(this);
    this.#armExpiry();
  }

  /** A text frame from the client. */
  receive(text: string): void {
    this.heard();
    if (this.#closed) return;
    const parsed = parseClientFrame(text);
    const id = parsed.ok ? parsed.frame.id : parsed.id;
    if (!this.#admit(id)) return;
    if (!parsed.ok) {
      this.logger.info({ code: parsed.error.code, message: parsed.error.message }, "bad frame");
      this.sendError(id, parsed.error);
      return;
    }
    this.#dispatch(parsed.frame);
  }

  /** A binary frame: the protocol is JSON text only. */
  receiveBinary(): void {
    this.heard();
    if (this.#closed || !this.#admit(undefined)) return;
    this.logger.info("binary frame refused");
    this.sendError(undefined, new AppError("bad_request", "binary frames are not supported; send JSON text"));
  }

  /** Anything arrived from the peer (a frame or a pong): it is alive. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  sendText(text: string): void {
    if (this.#closed) return;
    this.socket.cork();
    this.socket.send(text);
    // Agent frames must not be dropped, so a socket that cannot keep up is closed instead.
    if (this.socket.bufferedAmount > this.deps.maxBufferedBytes) this.closeSlow();
  }

  writeText(text: TextFrame): void {
    if (!this.#closed) this.socket.send(text);
  }

  closeSlow(): void {
    if (this.#closed) return;
    this.deps.metrics.errors.inc({ code: "slow_consumer", transport: "ws" });
    this.logger.info({ bufferedBytes: this.socket.bufferedAmount }, "slow consumer");
    const frame: ErrorFrame = { type: "error", ...new AppError("slow_consumer", "socket too slow").toData() };
    this.socket.send(JSON.stringify(frame));
    this.close(closeCodes.slowConsumer, "slow consumer");
  }

  sendError(id: string | undefined, error: AppError): void {
    this.deps.metrics.errors.inc({ code: error.code, transport: "ws" });
    const frame: ErrorFrame = {
      type: "error",
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    };
    if (id !== undefined) frame.id = id;
    if (error.retryAfterMs !== undefined) frame.retryAfterMs = error.retryAfterMs;
    this.send(frame);
  }

  /** Server-side close; the session stops at once (its runs go on and can be resumed). */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.logger.info({ code, reason }, "closing session");
    this.#teardown();
    this.socket.close(code, reason);
  }

  /** The socket closed (either side). */
  closed(): void {
    if (this.#closed) return;
    this.logger.info("session closed by peer");
    this.#teardown();
  }

  #teardown() {
    this.#closed = true;
    this.deps.heartbeat.delete(this);
    clearTimeout(this.#expiry);
    this.#handlers.close();
    this.deps.metrics.socketClosed(this.#claims.sub);
  }

  /** Spends a rate-limit token for one frame; answers `rate_limited` (or closes) when none is left. */
  #admit(id: string | undefined): boolean {
    const retryAfterMs = this.#bucket.take();
    if (retryAfterMs === 0) {
      this.#refusedInARow = 0;
      return true;
    }
    this.#refusedInARow += 1;
    if (this.#refusedInARow > this.deps.frameRate.burst) {
      this.logger.info("frame flood: closing");
      this.close(closeCodes.policyViolation, "too many frames");
      return false;
    }
    this.sendError(id, new AppError("rate_limited", "too many frames; slow down", { retryAfterMs }));
    return false;
  }

  #dispatch(frame: ClientFrame) {
    const fail = (err: unknown) => {
      const error = toAppError(err);
      if (error.code === "internal")
        this.logger.error({ err, frameType: frame.type }, "frame handler failed");
      else this.logger.info({ code: error.code, frameType: frame.type }, "frame refused");
      this.sendError(frame.id, error);
    };
    try {
      // Each frame starts its own trace (docs/architecture.md "Tracing"): what it causes, on this
      // process or over NATS, is the span's child; with tracing off this is `#handle(frame)`.
      const result = tracingOn()
        ? traced(
            `ws ${frame.type}`,
            { kind: SpanKind.SERVER, parent: ROOT_CONTEXT, attributes: { "ws.frame.type": frame.type } },
            () => this.#handle(frame),
          )
        : this.#handle(frame);
      if (result !== undefined) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /** `ping` and `auth` are the session's own; every other frame goes to the app's handlers. */
  #handle(frame: ClientFrame): void | Promise<void> {
    if (frame.type === "ping") {
      this.send({ type: "pong", id: frame.id, serverTime: new Date().toISOString() });
      return;
    }
    if (frame.type === "auth") {
      this.#refresh(frame);
      return;
    }
    // TypeScript cannot pair a frame of the union with its own handler; `FrameHandlers` did.
    const handlers = this.#handlers as unknown as Record<
      FeatureFrameType,
      (frame: ClientFrame) => void | Promise<void>
    >;
    return handlers[frame.type](frame);
  }

  /** `auth`: a fresh token for the same user moves the expiry. */
  #refresh(frame: ClientFrameOf<"auth">): void {
    let claims: Claims;
    try {
      claims = this.deps.tokens.verify(frame.token);
    } catch (err) {
      this.logger.info("token refresh refused");
      this.sendError(frame.id, toAppError(err));
      return;
    }
    if (claims.sub !== this.#claims.sub) {
      this.logger.info({ tokenSub: claims.sub }, "token refresh for another user");
      this.sendError(frame.id, new AppError("forbidden", "token belongs to another user"));
      this.close(closeCodes.policyViolation, "token for another user");
      return;
    }
    this.#claims = claims;
    this.#armExpiry();
    this.send({ type: "auth.ok", id: frame.id, expiresAt: expiresAt(claims) });
  }

  /**
   * A timer for the token's expiry only once it is at most two heartbeats away; before that the
   * heartbeat sweep calls here again, so a socket holds no timer of its own most of its life.
   */
  #armExpiry() {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    const remainingMs = this.#claims.exp * 1000 - Date.now();
    if (remainingMs > 2 * this.deps.heartbeatMs) return;
    this.#expiry = setTimeout(expire, Math.max(0, remainingMs), this);
  }

  /** The expiry timer fired: close, or re-arm for a token refreshed meanwhile. */
  expire(): void {
    this.#expiry = undefined;
    if (this.#claims.exp * 1000 <= Date.now()) this.close(closeCodes.tokenExpired, "token expired");
    else this.#armExpiry();
  }

  beat(now: number): void {
    if (now - this.#lastHeard > 2 * this.deps.heartbeatMs) {
      this.logger.info("peer silent: closing");
      this.close(closeCodes.goingAway, "heartbeat timeout");
      return;
    }
    if (this.#expiry === undefined) this.#armExpiry();
    this.socket.ping();
  }
}

function expire(session: Session) {
  session.expire();
}
