import type { NatsConnection } from "@nats-io/transport-node";
import WebSocket from "ws";
import type { LiveStream, LiveSubscription } from "../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { clientFrames } from "../../shared/client/frames.js";
import type { AgentName } from "../../shared/protocol/agents.js";
import {
  createRunTracker,
  type PhaseMeasurements,
  type RunProbe,
  drained as runsDrained,
} from "../agent-runs/run-tracker.js";
import { clientIndex, serveParent } from "../lib/client-processes.js";
import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import {
  createTradeTracker,
  type TradeMeasurements,
  type TradeProbe,
  drained as tradesDrained,
} from "../trades/trade-tracker.js";
import { createDeliveryBook, type DeliveryResult, type SocketChannel } from "./delivery-book.js";
import type { ActionKind } from "./user-model.js";

/**
 * A client process of the capacity test (forked by `capacity/harness.ts`): holds its users'
 * sockets (one each, spread over the gateways, each on `scores`, `user` and a few markets),
 * follows the LIVE stream itself to check what the sockets receive (delivery-book.ts), and in each
 * step sends its share of every action's open-loop arrivals through its users' sockets.
 *
 * Raw sockets, not the client library (shared/client), whose frame builders alone it uses: the
 * delivery book checks every frame against the LIVE stream (gaps, conflation, `recovered`), which
 * the library absorbs by design (a replay's overlap dropped, `recovered` not surfaced), and
 * reconnects follow the user model's rate, not a backoff.
 */
export interface FollowParams {
  natsUrl: string;
  streamPrefix: string;
  subjectPrefix: string;
}

export interface OpenParams {
  urls: string[];
  /** New users of this process; user g goes to urls[g % n]. */
  users: { index: number; token: string; markets: string[] }[];
  /** Sockets opening at once. */
  concurrency: number;
}

export interface Fixture {
  matchId: string;
  /** "Home v Away" as the agents read it. */
  name: string;
}

export interface StepParams {
  tag: string;
  rates: Record<ActionKind, number>;
  durationMs: number;
  startAt: number;
  share: { index: number; of: number };
  drainMs: number;
  /** Markets open for trading in the live matches, with their outcomes. */
  markets: { id: string; outcomes: string[] }[];
  fixtures: Fixture[];
  agents: AgentName[];
  /** A follower's event not on a socket this long after is missing. */
  graceMs: number;
}

export interface StepSamples {
  sockets: number;
  trades: TradeMeasurements;
  quotes: TradeMeasurements;
  runs: PhaseMeasurements;
  /** Usage the runs' `agent.done` reported, summed, and how many runs it covers. */
  usage: { runs: number; inputTokens: number; outputTokens: number };
  reconnects: {
    offered: number;
    done: number;
    skippedBusy: number;
    notRecovered: number;
    resumedMs: number[];
  };
  live: DeliveryResult & { received: number; closes: Record<string, number> };
}

interface User {
  index: number;
  token: string;
  url: number;
  socket: WebSocket;
  /** Checked channels, by name, across reconnects. */
  channels: Map<string, SocketChannel>;
  epochs: Map<string, string>;
  /** Frame id → what waits for its answer. */
  waiting: Map<string, (frame: ServerFrame) => void>;
  alive: boolean;
  /** Set while the socket is being replaced: what the user sends meanwhile goes out after it. */
  reconnecting?: Promise<void>;
}

interface ServerFrame {
  type: string;
  id?: string;
  code?: string;
  channel?: string;
  seq?: number;
  epoch?: string;
  conflated?: boolean;
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number };
  channels?: { channel: string; seq: number; epoch: string; recovered?: boolean }[];
}

const book = createDeliveryBook();
const users: User[] = [];
let urls: string[] = [];
let nc: NatsConnection | undefined;
let live: LiveStream | undefined;
const follows: LiveSubscription[] = [];
let received = 0;
let closes: Record<string, number> = {};
let exiting = false;

function onEvent(user: User, frame: ServerFrame, at: number) {
  received += 1;
  const channel = frame.channel!;
  const state = user.channels.get(channel);
  if (state === undefined || !book.checks(channel)) return;
  user.epochs.set(channel, frame.epoch!);
  book.received(state, channel, frame.seq!, at, frame.conflated === true);
}

/** Opens `user`'s socket and subscribes it; resolves with `subscribed`'s channels. */
function openSocket(user: User, channels: string[], resume: boolean): Promise<ServerFrame["channels"]> {
  const socket = new WebSocket(`${urls[user.url]!.replace(/^http/, "ws")}/ws`, {
    headers: { authorization: `Bearer ${user.token}` },
    perMessageDeflate: false,
  });
  user.socket = socket;
  user.alive = true;
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("unexpected-response", (_, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.on("message", (data) => {
      const at = epochNow();
      const frame = JSON.parse(String(data)) as ServerFrame;
      if (frame.type === "event") return onEvent(user, frame, at);
      if (frame.type === "welcome") {
        const since = resume
          ? Object.fromEntries(
              [...user.channels].map(([c, s]) => [c, { seq: s.lastSeq, epoch: user.epochs.get(c) ?? "" }]),
            )
          : undefined;
        socket.send(JSON.stringify(clientFrames.subscribe("sub", channels, since)));
        return;
      }
      if (frame.id === "sub") {
        if (frame.type === "subscribed") {
          // Here, not after the promise settles: events may follow in the same read.
          for (const state of frame.channels ?? []) {
            user.epochs.set(state.channel, state.epoch);
            if (!user.channels.has(state.channel) && book.checks(state.channel)) {
              user.channels.set(state.channel, book.track(state.seq));
            }
          }
          resolve(frame.channels);
        } else if (frame.type === "error") reject(new Error(`subscribe: ${frame.code}`));
        return;
      }
      if (frame.id !== undefined) user.waiting.get(frame.id)?.(frame);
    });
    socket.on("close", (code) => {
      if (user.socket !== socket) return;
      user.alive = false;
      if (!exiting) closes[String(code)] = (closes[String(code)] ?? 0) + 1;
      for (const answer of user.waiting.values()) answer({ type: "closed", code: `closed:${code}` });
      user.waiting.clear();
    });
  });
}

async function openUser(spec: OpenParams["users"][number]): Promise<void> {
  const user: User = {
    index: spec.index,
    token: spec.token,
    url: spec.index % urls.length,
    socket: undefined as unknown as WebSocket,
    channels: new Map(),
    epochs: new Map(),
    waiting: new Map(),
    alive: false,
  };
  const channels = ["scores", "user", ...spec.markets.map((m) => `market.${m}`)];
  await openSocket(user, channels, false);
  users.push(user);
}

/** Sends `frame` on `user`'s socket and routes its answers to `answer` until it returns true (done). */
function ask(
  user: User,
  frame: { id: string } & Record<string, unknown>,
  answer: (f: ServerFrame) => boolean,
) {
  if (user.reconnecting !== undefined) {
    void user.reconnecting.then(() => ask(user, frame, answer));
    return;
  }
  if (!user.alive || user.socket.readyState !== WebSocket.OPEN) {
    answer({ type: "closed", code: "socket_not_open" });
    return;
  }
  user.waiting.set(frame.id, (f) => {
    if (answer(f)) user.waiting.delete(frame.id);
  });
  user.socket.send(JSON.stringify(frame));
}

function tradeAnswer(probe: TradeProbe, filled: string) {
  return (f: ServerFrame) => {
    if (f.type === filled) probe.filled();
    else probe.rejected(f.code ?? f.type);
    return true;
  };
}

function runAnswer(probe: RunProbe, usage: StepSamples["usage"]) {
  return (f: ServerFrame) => {
    switch (f.type) {
      case "agent.accepted":
        probe.accepted();
        return false;
      case "agent.delta":
        probe.delta();
        return false;
      case "agent.done":
        if (f.usage) {
          usage.runs += 1;
          usage.inputTokens += f.usage.inputTokens;
          usage.outputTokens += f.usage.outputTokens;
        }
        probe.done(f.stopReason ?? "unknown");
        return true;
      case "agent.error":
      case "error":
      case "closed":
        probe.failed(f.code ?? f.type);
        return true;
      default:
        return false;
    }
  };
}

/** What each agent is asked; the fixture ones name a live match. */
function runInput(
  agent: AgentName,
  fixture: Fixture | undefined,
): { input: string; context?: { matchId: string } } {
  const on = fixture ?? { matchId: "", name: "Arsenal v Chelsea" };
  const context = fixture ? { context: { matchId: fixture.matchId } } : {};
  switch (agent) {
    case "eplTradingAgent":
      return { input: `Buy the home win with a stake of 2 credits in ${on.name}.`, ...context };
    case "liveTradingAgent":
      return { input: `How is ${on.name} going, and where is the value in play?`, ...context };
    case "eplScoutAgent":
      return { input: "Scout Arsenal: recent form, standing and next fixture." };
    case "portfolioAgent":
      return { input: "How are my positions doing at current prices?" };
    case "oddsAnalystAgent":
      return { input: "Where does the model disagree most with the market prices today?" };
    default:
      return { input: "Who leads the table, and by how many points?" };
  }
}

async function reconnect(user: User, result: StepSamples["reconnects"]) {
  const started = epochNow();
  user.alive = false;
  const old = user.socket;
  user.socket = undefined as unknown as WebSocket;
  old.terminate();
  user.url = (user.url + 1) % urls.length;
  try {
    const channels = ["user", ...user.channels.keys()];
    const subscribed = await openSocket(user, channels, true);
    result.done += 1;
    result.resumedMs.push(epochNow() - started);
    for (const state of subscribed ?? []) {
      if (book.checks(state.channel) && state.recovered !== true) result.notRecovered += 1;
    }
  } catch {
    result.notRecovered += user.channels.size;
  }
}

serveParent(
  {
    async follow(params: FollowParams) {
      nc = await connectNats({ natsUrl: params.natsUrl }, `loadtest-capacity-${clientIndex()}`);
      live = await createNatsLiveStream(nc, {
        streamPrefix: params.streamPrefix,
        subjectPrefix: params.subjectPrefix,
        maxAgeMs: 3_600_000,
        maxMsgsPerTopic: 10_000,
      });
      for (const [pattern, channelOf] of [
        ["match.*", () => "scores"],
        ["market.*", (topic: string) => topic],
      ] as const) {
        follows.push(
          live.subscribe(pattern, (event) =>
            book.observed(channelOf(event.topic), event.seq, Date.parse(event.time), epochNow()),
          ),
        );
      }
      await Promise.all(follows.map((f) => f.ready));
      return null;
    },

    async open(params: OpenParams) {
      urls = params.urls;
      let next = 0;
      const errors: Record<string, number> = {};
      const opener = async () => {
        for (let i = next++; i < params.users.length; i = next++) {
          await openUser(params.users[i]!).catch((err: Error) => {
            errors[err.message] = (errors[err.message] ?? 0) + 1;
          });
        }
      };
      await Promise.all(Array.from({ length: params.concurrency }, opener));
      return { sockets: users.length, errors };
    },

    async step(params: StepParams): Promise<StepSamples> {
      book.reset();
      received = 0;
      closes = {};
      const trades = createTradeTracker();
      const quotes = createTradeTracker();
      const runs = createRunTracker();
      const usage = { runs: 0, inputTokens: 0, outputTokens: 0 };
      const reconnects: StepSamples["reconnects"] = {
        offered: 0,
        done: 0,
        skippedBusy: 0,
        notRecovered: 0,
        resumedMs: [],
      };
      const userOf = (i: number) => users[Math.floor(i / params.share.of) % users.length]!;
      const market = (i: number) => params.markets[i % params.markets.length]!;
      const loop = (kind: ActionKind, fire: (i: number, scheduledAt: number) => void) =>
        params.rates[kind] > 0 && users.length > 0
          ? runOpenLoop({ ...params, ratePerS: params.rates[kind], fire })
          : Promise.resolve(0);
      const reconnecting: Promise<void>[] = [];

      const [offeredTrades, offeredQuotes, offeredRuns] = await Promise.all([
        loop("trade", (i, at) => {
          const m = market(i);
          const id = `${params.tag}-t${i}`;
          ask(
            userOf(i),
            clientFrames.trade(id, {
              marketId: m.id,
              outcome: m.outcomes[i % m.outcomes.length]!,
              side: "buy",
              shares: 1,
              idempotencyKey: id,
            }),
            tradeAnswer(trades.start(at), "trade.filled"),
          );
        }),
        loop("quote", (i, at) => {
          const m = market(i);
          ask(
            userOf(i),
            clientFrames.quote(`${params.tag}-q${i}`, {
              marketId: m.id,
              outcome: m.outcomes[i % m.outcomes.length]!,
              side: "buy",
              shares: 1,
            }),
            tradeAnswer(quotes.start(at), "quote.result"),
          );
        }),
        loop("agentRun", (i, at) => {
          const agent = params.agents[i % params.agents.length]!;
          const fixture = params.fixtures[i % Math.max(1, params.fixtures.length)];
          ask(
            userOf(i),
            clientFrames.agentRun(`${params.tag}-r${i}`, { agent, ...runInput(agent, fixture) }),
            runAnswer(runs.start(at), usage),
          );
        }),
        loop("reconnect", (i) => {
          reconnects.offered += 1;
          // A user with nothing in flight: a real client would resume its run and resend its
          // trade; the test keeps those measurements apart from the reconnect's.
          for (let k = 0; k < users.length; k++) {
            const user = userOf(i + k * params.share.of);
            if (user.alive && user.waiting.size === 0 && user.reconnecting === undefined) {
              user.reconnecting = reconnect(user, reconnects).finally(() => {
                user.reconnecting = undefined;
              });
              reconnecting.push(user.reconnecting);
              return;
            }
          }
          reconnects.skippedBusy += 1;
        }),
      ]);
      const deadline = epochNow() + params.drainMs;
      await Promise.all([
        tradesDrained(trades, deadline),
        tradesDrained(quotes, deadline),
        runsDrained(runs, deadline),
      ]);
      await Promise.all(reconnecting);
      // Events published up to `graceMs` ago that a socket still lacks are lost.
      await new Promise((r) => setTimeout(r, params.graceMs));
      book.tail(
        users.flatMap((u) => [...u.channels].map(([channel, state]) => ({ channel, state }))),
        epochNow(),
        params.graceMs,
      );
      for (const user of users) user.waiting.clear();
      return {
        sockets: users.filter((u) => u.alive).length,
        trades: trades.result(offeredTrades),
        quotes: quotes.result(offeredQuotes),
        runs: runs.result(offeredRuns),
        usage,
        reconnects,
        live: { ...book.result(), received, closes: { ...closes } },
      };
    },
  },
  async () => {
    exiting = true;
    for (const user of users) user.socket?.terminate();
    for (const f of follows) f.close();
    await live?.close();
    await nc?.close();
  },
);
