/**
 * The platform's client library (shared/client/README.md): the one public entry point. Types of
 * frames come from the protocol's schemas (shared/protocol), never written again here.
 */
export type { AgentName, Intent } from "../protocol/agents.js";
export type {
  AgentAcceptedFrame,
  AgentStreamFrame,
  EventFrame,
  SnapshotFrame,
} from "../protocol/server-frames.js";
export type { AgentRun, RunContext, RunOptions, RunTarget } from "./agent-runs.js";
export type { BackoffOptions } from "./backoff.js";
export { type ConnectOptions, connect, type PlatformClient } from "./client.js";
export type { ConnectionState, LivenessOptions } from "./connection.js";
export {
  ClientClosedError,
  ClosedByServerError,
  ConsumerTooSlowError,
  ProtocolError,
  RequestTimeoutError,
  TokenExpiredError,
} from "./errors.js";
export type { Fill, Quote, QuoteOrder, TradeOrder } from "./requests.js";
export type { ChannelMessage, ChannelPosition, Subscription } from "./subscriptions.js";
export type { WebSocketConstructor, WebSocketLike } from "./web-socket.js";
