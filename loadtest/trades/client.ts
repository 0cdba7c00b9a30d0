import type { NatsConnection } from "@nats-io/transport-node";
import postgres from "postgres";
import WebSocket from "ws";
import { createExchangeClient, type Exchange } from "../../services/exchange/client.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { clientFrames } from "../../shared/client/frames.js";
import { toAppError } from "../../shared/errors.js";
import { noDelayConnections } from "../../shared/store/postgres-socket.js";
import { clientIndex, serveParent } from "../lib/client-processes.js";
import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import { baselineTable } from "./baseline.js";
import { createTradeTracker, drained, type TradeMeasurements, type TradeProbe } from "./trade-tracker.js";
import { type MarketRef, tradeSpec } from "./workload.js";

/**
 * A client process of the trading benchmark (forked by `trades.ts`). It reaches the deployment
 * three ways — the exchange over NATS request/reply, a WebSocket per user of its share to the
 * gateways, and a postgres.js pool on the deployment's database for the baseline — and sends its
 * share of each phase's open-loop arrivals on the phase's path.
 *
 * The gateway path sends raw `trade` frames (built by shared/client/frames.ts), not the client
 * library's `trade()`: the library resends on a new socket and answers within its request
 * timeout, so a dropped socket would show as a slow fill rather than the failure the three paths
 * count alike.
 */
export interface ConnectParams {
  natsUrl: string;
  subjectPrefix: string;
  databaseUrl: string;
  gatewayUrls: string[];
  /** Every user of the benchmark in order; this process serves users `u` with `u % of === index`. */
  users: { userId: string; token: string }[];
  share: { index: number; of: number };
  /** Connections of the baseline's pool (as many as an exchange process has). */
  databaseConnections: number;
}

export type TradePath = "exchange" | "gateway" | "database";

export interface PhaseParams {
  path: TradePath;
  /** Prefix of the phase's idempotency keys and frame ids, unique per phase. */
  tag: string;
  ratePerS: number;
  durationMs: number;
  startAt: number;
  share: { index: number; of: number };
  drainMs: number;
  markets: MarketRef[];
}

let users: ConnectParams["users"] = [];
let exchange: Exchange | undefined;
let nc: NatsConnection | undefined;
let sql: postgres.Sql | undefined;
/** This process's socket of each of its users, by user index. */
const sockets = new Map<number, WebSocket>();
/** Frame id → the probe waiting for its answer. */
const pending = new Map<string, TradeProbe>();
let exiting = false;

function openSocket(url: string, token: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; id?: string; code?: string };
    if (frame.id === undefined) return;
    const probe = pending.get(frame.id);
    if (probe === undefined) return;
    pending.delete(frame.id);
    if (frame.type === "trade.filled") probe.filled();
    else probe.rejected(frame.code ?? frame.type);
  });
  socket.on("close", (code) => {
    if (!exiting) console.error(`client ${clientIndex()}: socket closed ${code}`);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("message", () => resolve(socket));
  });
}

function fireExchange(spec: ReturnType<typeof tradeSpec>, key: string, probe: TradeProbe): void {
  exchange!
    .trade({
      userId: users[spec.user]!.userId,
      marketId: spec.marketId,
      outcome: spec.outcome,
      side: spec.side,
      shares: spec.shares,
      idempotencyKey: key,
    })
    .then(
      () => probe.filled(),
      (err: unknown) => probe.rejected(toAppError(err).code),
    );
}

function fireGateway(spec: ReturnType<typeof tradeSpec>, key: string, probe: TradeProbe): void {
  const socket = sockets.get(spec.user);
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
    probe.rejected("socket_not_open");
    return;
  }
  pending.set(key, probe);
  socket.send(
    JSON.stringify(
      clientFrames.trade(key, {
        marketId: spec.marketId,
        outcome: spec.outcome,
        side: spec.side,
        shares: spec.shares,
        idempotencyKey: key,
      }),
    ),
  );
}

function fireDatabase(spec: ReturnType<typeof tradeSpec>, probe: TradeProbe): void {
  sql!
    .begin((tx) => tx.unsafe(`UPDATE ${baselineTable} SET n = n + 1 WHERE id = $1`, [spec.row]))
    .then(
      () => probe.filled(),
      (err: unknown) => probe.rejected((err as { code?: string }).code ?? "error"),
    );
}

serveParent(
  {
    async connect(params: ConnectParams) {
      users = params.users;
      nc = await connectNats({ natsUrl: params.natsUrl }, `loadtest-trades-${clientIndex()}`);
      exchange = createExchangeClient(createNatsRpc(nc, { subjectPrefix: params.subjectPrefix }));
      // Connected like the store's, so the baseline differs from a trade only in its statement.
      sql = postgres(params.databaseUrl, {
        max: params.databaseConnections,
        onnotice: () => {},
        ...noDelayConnections,
      });
      const mine = users
        .map((user, index) => ({ ...user, index }))
        .filter((u) => u.index % params.share.of === params.share.index);
      const opened = await Promise.all(
        mine.map(async (u) => {
          const url = params.gatewayUrls[u.index % params.gatewayUrls.length]!;
          sockets.set(u.index, await openSocket(url, u.token));
        }),
      );
      return { sockets: opened.length };
    },

    async phase(params: PhaseParams): Promise<TradeMeasurements> {
      const tracker = createTradeTracker();
      const offered = await runOpenLoop({
        ...params,
        fire(arrival, scheduledAt) {
          const spec = tradeSpec(arrival, users.length, params.markets);
          const key = `${params.tag}-${arrival}`;
          const probe = tracker.start(scheduledAt);
          if (params.path === "exchange") fireExchange(spec, key, probe);
          else if (params.path === "gateway") fireGateway(spec, key, probe);
          else fireDatabase(spec, probe);
        },
      });
      await drained(tracker, epochNow() + params.drainMs);
      // Late answers of this phase must not count in the next one.
      pending.clear();
      return tracker.result(offered);
    },
  },
  async () => {
    exiting = true;
    for (const socket of sockets.values()) socket.terminate();
    await sql?.end({ timeout: 2 });
    await nc?.close();
  },
);
