import type { ErrorCode } from "../errors.js";
import type { AgentEvent, Usage } from "./agent-frames.js";
import type { AgentName } from "./agents.js";
import type { QuoteResult, TradeResult } from "./trading-views.js";

/**
 * Frames the server sends (docs/protocol.md). These are produced by our own code, so they are typed
 * rather than validated at run time; the protocol tests check their shapes on the wire.
 */
export interface WelcomeFrame {
  type: "welcome";
  sessionId: string;
  gatewayId: string;
  serverTime: string;
  heartbeatMs: number;
}
export interface PongFrame {
  type: "pong";
  id: string;
  serverTime: string;
}
export interface AuthOkFrame {
  type: "auth.ok";
  id: string;
  expiresAt: string;
}
export interface ErrorFrame {
  type: "error";
  id?: string;
  code: ErrorCode;
  message: string;
  /** The registry's word on whether the same frame may succeed later (as in `agent.error`). */
  retryable?: boolean;
  retryAfterMs?: number;
}
export interface ChannelState {
  channel: string;
  seq: number;
  epoch: string;
  recovered?: boolean;
}
/**
 * A channel of a `subscribe` that was not subscribed, and why: `bad_request` (no such channel),
 * `not_found` (no such match or market), `forbidden` (another user's), `unavailable` (its state
 * could not be read; retry). docs/protocol.md "Channels".
 */
export interface ChannelRejection {
  channel: string;
  code: ErrorCode;
  message: string;
  retryable: boolean;
}
export interface SubscribedFrame {
  type: "subscribed";
  id: string;
  /** The channels now subscribed, in the order they were asked for. */
  channels: ChannelState[];
  /** Present when some channels of the frame were refused; the others are subscribed all the same. */
  rejected?: ChannelRejection[];
}
export interface UnsubscribedFrame {
  type: "unsubscribed";
  id: string;
  channels: string[];
}
export interface EventFrame {
  type: "event";
  channel: string;
  seq: number;
  epoch: string;
  data: unknown;
  conflated?: true;
}
export interface SnapshotFrame {
  type: "snapshot";
  channel: string;
  seq: number;
  epoch: string;
  data: unknown;
}
export type QuoteResultFrame = { type: "quote.result"; id: string } & QuoteResult;
export interface TradeFilledFrame {
  type: "trade.filled";
  id: string;
  trade: TradeResult;
}
export interface TradeRejectedFrame {
  type: "trade.rejected";
  id: string;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}
export interface AgentAcceptedFrame {
  type: "agent.accepted";
  id: string;
  requestId: string;
  agent: AgentName;
  queuedAhead?: number;
}
/** A stream frame as the client sees it: the worker's event plus the run's ids and seq. */
export type AgentStreamFrame = AgentEvent & { id: string; requestId: string; seq: number };

export interface FinishedRun {
  requestId: string;
  text: string;
  toolCalls: {
    callId: string;
    name: string;
    status: "finished" | "failed";
    input?: unknown;
    output?: unknown;
  }[];
  usage: Usage;
  stopReason: string;
}

export type ServerFrame =
  | WelcomeFrame
  | PongFrame
  | AuthOkFrame
  | ErrorFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | EventFrame
  | SnapshotFrame
  | QuoteResultFrame
  | TradeFilledFrame
  | TradeRejectedFrame
  | AgentAcceptedFrame
  | AgentStreamFrame;
