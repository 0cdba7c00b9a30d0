import type { AgentEvent } from "../../shared/protocol/agent-frames.js";
import { parseClientFrame } from "../../shared/protocol/client-frames.js";
import type {
  AgentStreamFrame,
  ChannelState,
  FinishedRun,
  ServerFrame,
} from "../../shared/protocol/server-frames.js";
import type { Backend, BackendSocket, HttpAnswer, HttpExchange, SocketSink } from "./standins/runtime.js";

/**
 * A small server that answers the k6 scripts as the gateway would (docs/protocol.md), without a
 * platform behind it: tokens for any user, three open markets, fixed quotes and fills, every
 * subscribed channel's snapshot and one event, the missed events for a `since` in its epoch, and
 * agent runs that stream on a timer whatever the socket does, so a cancel, a dropped socket and
 * `agent.resume` behave as they do on a real gateway. Frames it cannot parse get the gateway's
 * `error` answer, so a script that drifts sees what a real client would.
 */
const epoch = "canned-epoch";
const markets = ["m1.1x2", "m2.1x2", "m3.ou25"].map((marketId) => ({
  marketId,
  matchId: marketId.split(".")[0]!,
  kind: marketId.split(".")[1]!,
  title: `${marketId}: a market`,
  outcomes: marketId.endsWith("ou25") ? ["over", "under"] : ["home", "draw", "away"],
  status: "open",
  prices: {},
  liquidity: 250,
  openedAt: new Date(0).toISOString(),
}));
const fixtures = [
  { home: "Arsenal FC", away: "Chelsea FC" },
  { home: "Liverpool FC", away: "Everton FC" },
].map((f, i) => ({
  matchId: `m${i + 1}`,
  season: "2025-26",
  round: 31,
  kickoff: new Date(0).toISOString(),
  status: "scheduled",
  ...f,
}));

interface Run {
  frames: AgentStreamFrame[];
  ended: boolean;
  cancelled: boolean;
  followers: Set<(frame: AgentStreamFrame) => void>;
}

export interface CannedServer extends Backend {
  /** Every frame the server sent, per socket, in order (for assertions on what the script saw). */
  readonly received: ServerFrame[][];
}

export interface CannedServerOptions {
  runFrameGapMs?: number;
  /** Drains every odd-numbered connection (closes it 1012, as a deploy does) this long after its subscribe. */
  drainAfterMs?: number;
}

export function createCannedServer(options: CannedServerOptions = {}): CannedServer {
  const gapMs = options.runFrameGapMs ?? 5;
  const runs = new Map<string, Run>();
  const received: ServerFrame[][] = [];
  let seq = 100;
  let runCount = 0;
  let tradeCount = 0;

  function json(status: number, value: unknown): HttpAnswer {
    return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) };
  }

  function userOf(authorization: string | undefined): string | undefined {
    const match = /^Bearer canned\.(.+)$/.exec(authorization ?? "");
    return match?.[1];
  }

  /** Starts a run that produces its frames on a timer, like a worker: the socket only relays them. */
  function startRun(requestId: string, clientId: string): Run {
    const run: Run = { frames: [], ended: false, cancelled: false, followers: new Set() };
    runs.set(requestId, run);
    const steps: AgentEvent[] = [
      { type: "agent.tool", callId: "c1", name: "getStandings", status: "started", input: {} },
      { type: "agent.tool", callId: "c1", name: "getStandings", status: "finished", output: {} },
      { type: "agent.delta", text: "Arsenal lead " },
      { type: "agent.delta", text: "the table." },
      { type: "agent.delta", text: " Seven points clear." },
      { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 10, outputTokens: 6 } },
    ];
    const emit = (step: AgentEvent) => {
      const frame: AgentStreamFrame = { ...step, id: clientId, requestId, seq: run.frames.length + 1 };
      run.frames.push(frame);
      run.ended ||= frame.type === "agent.done" || frame.type === "agent.error";
      for (const follow of run.followers) follow(frame);
    };
    const next = (i: number) => {
      if (run.ended) return;
      if (run.cancelled) {
        emit({ type: "agent.done", stopReason: "cancelled", usage: { inputTokens: 10, outputTokens: 1 } });
        return;
      }
      emit(steps[i]!);
      if (i + 1 < steps.length) setTimeout(() => next(i + 1), gapMs);
    };
    setTimeout(() => next(0), gapMs);
    return run;
  }

  return {
    received,

    async request(exchange: HttpExchange): Promise<HttpAnswer> {
      const url = new URL(exchange.url);
      const route = `${exchange.method} ${url.pathname}`;
      const headers = Object.fromEntries(
        Object.entries(exchange.headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
      if (route === "POST /api/auth/dev-token") {
        const { userId } = JSON.parse(exchange.body ?? "{}") as { userId: string };
        return json(200, {
          token: `canned.${userId}`,
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        });
      }
      if (route === "GET /api/markets") return json(200, { markets });
      if (route === "GET /api/matches") return json(200, { matches: fixtures });
      if (route === "POST /api/epl/trade") {
        if (userOf(headers.authorization) === undefined) {
          return json(401, { error: { code: "unauthorized", message: "no token" } });
        }
        runCount += 1;
        const finished: FinishedRun = {
          requestId: `epl-${runCount}`,
          text: "Arsenal v Chelsea: the model gives the home side 0.58.",
          toolCalls: [{ callId: "c1", name: "getFixture", status: "finished", input: {}, output: {} }],
          usage: { inputTokens: 100, outputTokens: 20 },
          stopReason: "end_turn",
        };
        return json(200, finished);
      }
      return json(404, { error: { code: "not_found", message: `${route} not found` } });
    },

    connect(_url: string, headers: Record<string, string>, sink: SocketSink): BackendSocket {
      const authorization = Object.entries(headers).find(([k]) => k.toLowerCase() === "authorization")?.[1];
      const userId = userOf(authorization);
      const frames: ServerFrame[] = [];
      received.push(frames);
      let open = true;
      const relays = new Map<string, () => void>();
      const deliver = (frame: ServerFrame) => {
        if (!open) return;
        frames.push(frame);
        sink.message(JSON.stringify(frame));
      };
      const close = (code: number) => {
        if (!open) return;
        open = false;
        for (const stop of relays.values()) stop();
        setImmediate(() => sink.close(code));
      };
      if (userId === undefined) {
        setImmediate(() => {
          sink.error("websocket: bad handshake (401)");
          sink.close(1006);
        });
        return { send() {}, close() {} };
      }
      const drains = options.drainAfterMs !== undefined && received.length % 2 === 1;
      setImmediate(() => {
        sink.open();
        deliver({
          type: "welcome",
          sessionId: `s-${received.length}`,
          gatewayId: "canned",
          serverTime: new Date().toISOString(),
          heartbeatMs: 25_000,
        });
      });

      const relay = (id: string, requestId: string, after: number) => {
        const run = runs.get(requestId);
        if (run === undefined) {
          deliver({ type: "error", id, code: "not_found", message: `no agent run ${requestId}` });
          return;
        }
        const send = (frame: AgentStreamFrame) => deliver({ ...frame, id });
        for (const frame of run.frames) if (frame.seq > after) send(frame);
        if (run.ended) return;
        const follow = (frame: AgentStreamFrame) => {
          send(frame);
          if (run.ended) stop();
        };
        const stop = () => {
          run.followers.delete(follow);
          relays.delete(id);
        };
        run.followers.add(follow);
        relays.set(id, stop);
      };

      const onText = (text: string) => {
        const parsed = parseClientFrame(text);
        if (!parsed.ok) {
          const { code, message } = parsed.error;
          deliver(
            parsed.id === undefined
              ? { type: "error", code, message }
              : { type: "error", id: parsed.id, code, message },
          );
          return;
        }
        const frame = parsed.frame;
        switch (frame.type) {
          case "subscribe": {
            const states: ChannelState[] = frame.channels.map((channel) => {
              const since = frame.since?.[channel];
              const recovered = since !== undefined && since.epoch === epoch;
              return recovered ? { channel, seq, epoch, recovered } : { channel, seq, epoch };
            });
            deliver({ type: "subscribed", id: frame.id, channels: states });
            if (drains) setTimeout(() => close(1012), options.drainAfterMs);
            for (const state of states) {
              if (state.recovered) {
                seq += 1;
                deliver({ type: "event", channel: state.channel, seq, epoch, data: { missed: true } });
              } else {
                deliver({ type: "snapshot", channel: state.channel, seq: state.seq, epoch, data: {} });
              }
              if (state.channel !== "user") {
                seq += 1;
                deliver({ type: "event", channel: state.channel, seq, epoch, data: { live: true } });
              }
            }
            return;
          }
          case "quote":
            deliver({
              type: "quote.result",
              id: frame.id,
              marketId: frame.marketId,
              outcome: frame.outcome,
              side: frame.side,
              shares: frame.shares,
              cost: 1.23,
              avgPrice: 0.615,
              priceAfter: 0.62,
            });
            return;
          case "trade": {
            tradeCount += 1;
            const trade = {
              tradeId: `t${tradeCount}`,
              marketId: frame.marketId,
              outcome: frame.outcome,
              side: frame.side,
              shares: frame.shares,
              cost: 1.23,
              avgPrice: 0.615,
              balance: 998.77,
              position: { shares: frame.shares, avgCost: 0.615 },
            };
            // The fill comes on the user channel before the answer now and then, as it may live.
            const fill = () => {
              seq += 1;
              deliver({ type: "event", channel: "user", seq, epoch, data: { kind: "fill", trade } });
            };
            if (tradeCount % 2 === 0) fill();
            deliver({ type: "trade.filled", id: frame.id, trade });
            if (tradeCount % 2 === 1) setTimeout(fill, 2);
            return;
          }
          case "agent.run": {
            runCount += 1;
            const requestId = `run-${runCount}`;
            startRun(requestId, frame.id);
            deliver({ type: "agent.accepted", id: frame.id, requestId, agent: "leagueStatsAgent" });
            relay(frame.id, requestId, 0);
            return;
          }
          case "agent.cancel": {
            const requestId = [...runs.entries()].find(([, run]) => run.frames[0]?.id === frame.id)?.[0];
            if (requestId === undefined || !relays.has(frame.id)) {
              deliver({ type: "error", id: frame.id, code: "not_found", message: "no such run here" });
              return;
            }
            runs.get(requestId)!.cancelled = true;
            return;
          }
          case "agent.resume":
            relay(frame.id, frame.requestId, frame.after);
            return;
          default:
            deliver({
              type: "error",
              id: frame.id,
              code: "bad_request",
              message: `canned server: ${frame.type}`,
            });
        }
      };

      return {
        send: (text) => {
          if (open) setImmediate(() => onText(text));
        },
        close: () => close(1000),
      };
    },
  };
}
