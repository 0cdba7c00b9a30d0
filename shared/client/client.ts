import { type AgentRun, createAgentRuns, type RunOptions, type RunTarget } from "./agent-runs.js";
import { type BackoffOptions, defaultBackoff } from "./backoff.js";
import { type ConnectionState, defaultLiveness, type LivenessOptions, openConnection } from "./connection.js";
import { ClientClosedError } from "./errors.js";
import { createRequests, type Fill, type Quote, type QuoteOrder, type TradeOrder } from "./requests.js";
import { type ChannelPosition, createSubscriptions, type Subscription } from "./subscriptions.js";
import { createTokenSource, type TokenOptions } from "./tokens.js";
import { resolveWebSocket, type WebSocketConstructor } from "./web-socket.js";

export type ConnectOptions = TokenOptions & {
  /** A gateway's `ws(s)://…/ws` URL, or several: each new socket goes to the next one. */
  url: string | readonly string[];
  /** A WebSocket class, where the runtime has no global one (Node 20: the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  backoff?: Partial<BackoffOptions>;
  liveness?: Partial<LivenessOptions>;
  /** Renew the token this long before `exp` (or at 4/5 of a shorter life). Default 60 000. */
  refreshLeadMs?: number;
  /** A quote or trade unanswered this long, across reconnects, fails. Default 15 000. */
  requestTimeoutMs?: number;
  /** Messages a subscription or run may hold unread before it fails. Default 1 000. */
  bufferSize?: number;
};

export interface PlatformClient {
  readonly state: ConnectionState;
  /** Calls `listener` on every change of connection state; returns the function that stops it. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Resolves once a gateway has welcomed the client (rejects if it closes first). */
  ready(): Promise<void>;
  subscribe(channel: string, options?: { since?: ChannelPosition }): Subscription;
  run(target: RunTarget, input: string, options?: RunOptions): AgentRun;
  quote(order: QuoteOrder): Promise<Quote>;
  trade(order: TradeOrder): Promise<Fill>;
  /** Closes the socket: subscriptions and runs end, pending quotes and trades reject. */
  close(): void;
}

/**
 * A client of the platform's WebSocket protocol (docs/protocol.md "WebSocket") for traders'
 * programs, load tests and the desk: it connects at once and keeps a socket open for as long as
 * it lives, resuming subscriptions, runs and requests on every new one. See shared/client/README.md.
 */
export function connect(options: ConnectOptions): PlatformClient {
  const urls = typeof options.url === "string" ? [options.url] : [...options.url];
  if (urls.length === 0) throw new TypeError("connect: url names no gateway");
  const WebSocket = resolveWebSocket(options.WebSocket);
  const bufferSize = options.bufferSize ?? 1_000;
  const send: Parameters<typeof createSubscriptions>[0] = (frame) => connection.send(frame);
  const subscriptions = createSubscriptions(send, bufferSize);
  const runs = createAgentRuns(send, bufferSize);
  const requests = createRequests(send, options.requestTimeoutMs ?? 15_000);
  const connection = openConnection(
    {
      urls,
      tokens: createTokenSource(options, options.refreshLeadMs ?? 60_000),
      WebSocket,
      backoff: { ...defaultBackoff, ...options.backoff },
      liveness: { ...defaultLiveness, ...options.liveness },
    },
    {
      welcomed() {
        subscriptions.welcomed();
        runs.welcomed();
        requests.welcomed();
      },
      received(frame) {
        // Anything else (a `pong`, an answer to a request given up) needs nothing.
        if (!subscriptions.receive(frame)) if (!runs.receive(frame)) requests.receive(frame);
      },
      closed(error) {
        subscriptions.closeAll(error);
        runs.closeAll(error);
        requests.closeAll(error);
      },
    },
  );

  return {
    get state() {
      return connection.state;
    },
    onState: (listener) => connection.onState(listener),
    ready() {
      return new Promise((resolve, reject) => {
        const settle = (state: ConnectionState) => {
          if (state.state === "online") resolve();
          else if (state.state === "closed") reject(new ClientClosedError(state.error));
          else return;
          stop();
        };
        const stop = connection.onState(settle);
        settle(connection.state);
      });
    },
    subscribe: (channel, subscribeOptions) => subscriptions.subscribe(channel, subscribeOptions?.since),
    run: (target, input, runOptions) => runs.run(target, input, runOptions),
    quote: (order) => requests.quote(order),
    trade: (order) => requests.trade(order),
    close: () => connection.close(),
  };
}
