import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { clientFrames } from "../../shared/client/frames.js";
import { serveParent } from "../lib/client-processes.js";
import { epochNow } from "../lib/open-loop.js";

/**
 * A client process of the fan-out benchmark (forked by `fanout.ts`): holds its share of the
 * sockets, each subscribed to its channels, and records for every event of the current phase
 * receipt time − `data.sentAt`. The same harness serves all three servers: `ws` sockets for the
 * gateway and the bare `ws` server (both answer a `subscribe` frame with `subscribed`),
 * socket.io-client over the websocket transport for Socket.IO.
 *
 * Not on the client library (shared/client), whose frame builders alone it uses: the three
 * servers must be measured through one receive path; a close is counted here, where the library
 * would resume; its liveness pings (one a second per socket) would add thousands of frames a
 * second to the server measured; and its receive path costs half as much again per event —
 * 1.5 µs of CPU against 1.0 µs for the parse-and-record below (200 000 events fed in-process,
 * warm, 2026-12-07) — charged as latency to the server on processes holding thousands of sockets.
 */
export type Protocol = "gateway" | "ws" | "socketio";

export interface OpenParams {
  protocol: Protocol;
  /** Base URL of each server (`http://127.0.0.1:port`); socket g goes to urls[g mod n]. */
  urls: string[];
  /** Gateway tokens; socket g uses tokens[g mod m]. */
  tokens: string[];
  /** Global index of this process's first socket. */
  offset: number;
  /** The channels of each of this process's sockets. */
  channels: string[][];
  /** Sockets opening at once. */
  concurrency: number;
}

export interface PhaseSamples {
  /** Events of the phase received, over every socket. */
  received: number;
  /** Events of another phase (late ones of the previous) received meanwhile. */
  stale: number;
  /** ms from publish to receipt, one per received event of the phase. */
  latencyMs: Float64Array;
  /** Sockets that closed since they opened, by close code or reason. */
  closes: Record<string, number>;
  /** Per event of the phase (by its index `n`): receipts, and the first and last latency in ms. */
  events: Record<number, { count: number; minMs: number; maxMs: number }>;
}

interface EventFrame {
  type: string;
  data?: { phase?: string; sentAt?: number; n?: number };
}

let phase = "";
let received = 0;
let stale = 0;
let samples = new Float64Array(1 << 16);
let events: PhaseSamples["events"] = {};
const closes: Record<string, number> = {};
let closing = false;
const sockets: { close(): void }[] = [];

function record(frame: EventFrame) {
  if (frame.type !== "event") return;
  const at = epochNow();
  if (frame.data?.phase !== phase) {
    stale += 1;
    return;
  }
  if (received === samples.length) {
    const grown = new Float64Array(samples.length * 2);
    grown.set(samples);
    samples = grown;
  }
  const latency = at - frame.data.sentAt!;
  samples[received++] = latency;
  const n = frame.data.n!;
  const seen = events[n];
  if (seen === undefined) events[n] = { count: 1, minMs: latency, maxMs: latency };
  else {
    seen.count += 1;
    if (latency < seen.minMs) seen.minMs = latency;
    if (latency > seen.maxMs) seen.maxMs = latency;
  }
}

function closed(reason: string) {
  if (!closing) closes[reason] = (closes[reason] ?? 0) + 1;
}

function openWs(url: string, token: string, channels: string[]): Promise<void> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  sockets.push({ close: () => socket.terminate() });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("unexpected-response", (_, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once("open", () => {
      socket.send(JSON.stringify(clientFrames.subscribe("s", channels)));
    });
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as EventFrame & { code?: string };
      if (frame.type === "subscribed") resolve();
      else if (frame.type === "error") reject(new Error(`error ${frame.code}`));
      else record(frame);
    });
    socket.on("close", (code) => closed(String(code)));
  });
}

function openSocketIo(url: string, channels: string[]): Promise<void> {
  const socket: Socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  sockets.push({ close: () => socket.disconnect() });
  socket.on("event", record);
  socket.on("disconnect", (reason) => closed(reason));
  return new Promise((resolve, reject) => {
    socket.once("connect_error", reject);
    socket.once("connect", () => {
      socket.emit("subscribe", channels, () => resolve());
    });
  });
}

serveParent(
  {
    async open(params: OpenParams) {
      let next = 0;
      let failed = 0;
      const errors: Record<string, number> = {};
      const opener = async () => {
        for (let i = next++; i < params.channels.length; i = next++) {
          const g = params.offset + i;
          const url = params.urls[g % params.urls.length]!;
          const channels = params.channels[i]!;
          try {
            await (params.protocol === "socketio"
              ? openSocketIo(url, channels)
              : openWs(url, params.tokens[g % params.tokens.length] ?? "", channels));
          } catch (err) {
            failed += 1;
            const message = err instanceof Error ? err.message : String(err);
            errors[message] = (errors[message] ?? 0) + 1;
          }
        }
      };
      await Promise.all(Array.from({ length: params.concurrency }, opener));
      return { opened: params.channels.length - failed, failed, errors };
    },
    async begin(params: { phase: string }) {
      phase = params.phase;
      received = 0;
      stale = 0;
      events = {};
      return null;
    },
    async progress() {
      return received;
    },
    async collect(): Promise<PhaseSamples> {
      return { received, stale, latencyMs: samples.slice(0, received), closes: { ...closes }, events };
    },
  },
  () => {
    closing = true;
    for (const socket of sockets) socket.close();
  },
);
