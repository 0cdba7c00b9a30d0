import type { Frame } from "../../services/gateway/testing/ws-client.js";
import { errorRegistry, isErrorCode } from "../../shared/errors.js";
import { pause } from "../support/polling.js";
import { nextFrames, RoamingSocket } from "./roaming-socket.js";

/**
 * Steady trading through the gateways, one trade at a time per user, each with its own
 * idempotency key. A trade answered with a retryable error (and `internal`), timed out or lost
 * with its socket or connection is sent again with the same key — to the next gateway when the
 * connection failed — until it has an outcome: a fill, or a refusal that is final. Every attempt
 * and every answer is recorded for the report and the audit.
 */
export interface TradeUser {
  userId: string;
  token: string;
  transport: "ws" | "http";
  /** Index of the gateway the user starts on. */
  first: number;
}

/** One request and how it ended: `filled`, an error code, `timeout` or `lost`. */
export interface TradeAttempt {
  key: string;
  userId: string;
  transport: TradeUser["transport"];
  gateway: number;
  sentAt: number;
  answeredAt: number;
  outcome: string;
  tradeId?: string;
  /** The error's message, for anything but a fill. */
  message?: string;
}

/** One trade (one idempotency key) across its attempts. */
export interface TradeKey {
  key: string;
  userId: string;
  firstSentAt: number;
  attempts: number;
  /** `filled` or the final refusal's code; undefined while it has none. */
  outcome?: string;
  tradeId?: string;
  settledAt?: number;
}

export interface TradeLoadOptions {
  /** Base URLs (`http://127.0.0.1:port`) of the gateways. */
  gateways: readonly string[];
  users: readonly TradeUser[];
  /** Markets to trade on, taken in turn. */
  markets: readonly { id: string; outcomes: readonly string[] }[];
  /** Pause between one trade's outcome and the next trade (ms). */
  thinkMs: number;
  /** An attempt unanswered this long counts as timed out and is retried (ms). */
  attemptTimeoutMs: number;
  /** Pause before retrying a failed attempt (ms). */
  retryMs: number;
}

export interface TradeLoad {
  readonly attempts: readonly TradeAttempt[];
  readonly keys: ReadonlyMap<string, TradeKey>;
  /**
   * Trades with more than one outcome: an answer that reached a WebSocket after its attempt had
   * timed out (and the trade was sent again) that disagrees with the trade's final outcome.
   */
  conflictingAnswers(): string[];
  /** Stops starting trades; resolves when every open one has an outcome or `deadlineMs` passed. */
  stop(deadlineMs: number): Promise<void>;
}

/** Whether an answer means "send it again with the same key". */
export function isRetryable(outcome: string): boolean {
  if (outcome === "timeout" || outcome === "lost" || outcome === "internal") return true;
  return isErrorCode(outcome) && errorRegistry[outcome].retryable;
}

export function startTradeLoad(options: TradeLoadOptions): TradeLoad {
  const attempts: TradeAttempt[] = [];
  const keys = new Map<string, TradeKey>();
  const sockets = new Map<string, RoamingSocket>();
  let stopping = false;
  let deadline = Number.POSITIVE_INFINITY;

  const loops = options.users.map(async (user, u) => {
    const socket =
      user.transport === "ws"
        ? new RoamingSocket(wsUrls(options.gateways), user.token, user.first)
        : undefined;
    if (socket !== undefined) sockets.set(user.userId, socket);
    let gateway = user.first;
    const bought: { marketId: string; outcome: string }[] = [];
    for (let n = 0; !stopping; n++) {
      // Two buys, then a sell of a share bought before, so positions move both ways.
      const market = options.markets[(u + n) % options.markets.length]!;
      const sell = n % 3 === 2 ? bought.shift() : undefined;
      const body = sell
        ? { marketId: sell.marketId, outcome: sell.outcome, side: "sell", shares: 1 }
        : {
            marketId: market.id,
            outcome: market.outcomes[(u + n) % market.outcomes.length]!,
            side: "buy",
            shares: 1,
          };
      const trade: TradeKey = {
        key: `${user.userId}-t${n}`,
        userId: user.userId,
        firstSentAt: 0,
        attempts: 0,
      };
      keys.set(trade.key, trade);
      while (trade.outcome === undefined && Date.now() < deadline) {
        const sentAt = Date.now();
        if (trade.attempts === 0) trade.firstSentAt = sentAt;
        trade.attempts += 1;
        const answer =
          socket === undefined
            ? await httpAttempt(options, gateway, user, trade.key, body)
            : await wsAttempt(options, socket, trade, body);
        const attempt: TradeAttempt = {
          key: trade.key,
          userId: user.userId,
          transport: user.transport,
          gateway: answer.gateway ?? gateway,
          sentAt,
          answeredAt: Date.now(),
          outcome: answer.outcome,
          ...(answer.tradeId === undefined ? {} : { tradeId: answer.tradeId }),
          ...(answer.message === undefined ? {} : { message: answer.message }),
        };
        attempts.push(attempt);
        if (!isRetryable(answer.outcome)) {
          trade.outcome = answer.outcome;
          if (answer.tradeId !== undefined) trade.tradeId = answer.tradeId;
          trade.settledAt = attempt.answeredAt;
          break;
        }
        // A connection that failed moves the client to the next gateway, as a load balancer would.
        if (answer.outcome === "lost" || answer.outcome === "timeout") gateway += 1;
        await pause(answer.retryAfterMs ?? options.retryMs);
      }
      if (trade.outcome === "filled" && body.side === "buy") bought.push(body);
      if (!stopping) await pause(options.thinkMs);
    }
    socket?.close();
  });

  return {
    attempts,
    keys,
    conflictingAnswers() {
      const conflicting: string[] = [];
      for (const socket of sockets.values()) {
        for (const frame of socket.drain((f) => tradeAnswer(f) !== undefined)) {
          const answer = tradeAnswer(frame)!;
          const trade = keys.get(String(frame.id).replace(/#\d+$/, ""));
          if (isRetryable(answer.outcome)) continue;
          if (answer.outcome !== trade?.outcome || answer.tradeId !== trade.tradeId) {
            conflicting.push(
              `${frame.id}: ${trade?.outcome} ${trade?.tradeId ?? ""}, late ${answer.outcome} ${answer.tradeId ?? ""}`,
            );
          }
        }
      }
      return conflicting;
    },
    async stop(deadlineMs) {
      stopping = true;
      deadline = Date.now() + deadlineMs;
      await Promise.all(loops);
    },
  };
}

interface Answer {
  outcome: string;
  message?: string;
  tradeId?: string;
  retryAfterMs?: number;
  gateway?: number;
}

function wsUrls(gateways: readonly string[]): string[] {
  return gateways.map((g) => `${g.replace(/^http/, "ws")}/ws`);
}

async function httpAttempt(
  options: TradeLoadOptions,
  gateway: number,
  user: TradeUser,
  key: string,
  body: Record<string, unknown>,
): Promise<Answer> {
  const index = gateway % options.gateways.length;
  try {
    const response = await fetch(`${options.gateways[index]}/api/trades`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${user.token}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.attemptTimeoutMs),
    });
    const answer = (await response.json()) as {
      tradeId?: string;
      error?: { code: string; message?: string };
    };
    if (response.status === 201) return { outcome: "filled", tradeId: answer.tradeId!, gateway: index };
    const retryAfterS = Number(response.headers.get("retry-after"));
    return {
      outcome: answer.error?.code ?? `http_${response.status}`,
      message: answer.error?.message ?? JSON.stringify(answer).slice(0, 200),
      gateway: index,
      ...(Number.isFinite(retryAfterS) && retryAfterS > 0 ? { retryAfterMs: retryAfterS * 1000 } : {}),
    };
  } catch (err) {
    const name = (err as { name?: string }).name;
    return { outcome: name === "TimeoutError" ? "timeout" : "lost", message: String(err), gateway: index };
  }
}

async function wsAttempt(
  options: TradeLoadOptions,
  roaming: RoamingSocket,
  trade: TradeKey,
  body: Record<string, unknown>,
): Promise<Answer> {
  const socket = await roaming.open();
  const gateway = roaming.gateway;
  const id = `${trade.key}#${trade.attempts}`;
  socket.send({ type: "trade", id, ...body, idempotencyKey: trade.key });
  const got = await nextFrames(socket, (f) => f.id === id, options.attemptTimeoutMs);
  if (got === "closed") return { outcome: "lost", gateway };
  if (got === "timeout") return { outcome: "timeout", gateway };
  const frame = got[0]!;
  const answer = tradeAnswer(frame) ?? { outcome: String(frame.code ?? frame.type) };
  if (typeof frame.message === "string") answer.message = frame.message;
  return {
    ...answer,
    gateway,
    ...(typeof frame.retryAfterMs === "number" ? { retryAfterMs: frame.retryAfterMs } : {}),
  };
}

/** A trade answer frame as an outcome; undefined for any other frame. */
function tradeAnswer(frame: Frame): { outcome: string; tradeId?: string; message?: string } | undefined {
  if (frame.type === "trade.filled") return { outcome: "filled", tradeId: frame.trade.tradeId };
  if (frame.type === "trade.rejected" || (frame.type === "error" && /#\d+$/.test(String(frame.id)))) {
    return { outcome: frame.code };
  }
  return undefined;
}
