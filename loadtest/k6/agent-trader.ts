/**
 * A trader asking agents (docs/protocol.md "Agent runs"): each iteration starts one run over a
 * WebSocket and reads its stream, and ends it one of three ways in turn: reads it to the end;
 * cancels it after the first delta; or loses the socket after the first delta and resumes the run
 * on a new one with `agent.resume`, expecting exactly the frames it missed.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 loadtest/k6/agent-trader.ts
 */

import { Rate, Trend } from "k6/metrics";
import type { Options } from "k6/options";
import { clearTimeout, setTimeout } from "k6/timers";
import {
  type AgentAsk,
  envInt,
  frameId,
  frames,
  parseServerFrame,
  pause,
  rampingUsers,
  send,
  slo,
  socketParams,
  tokenFor,
  vuTier,
  vuUserId,
  WebSocket,
  wsUrl,
} from "./lib/platform.ts";

const vus = envInt("VUS", 20);
/** Pause between a run's end and the next (the per-user run limits of docs/protocol.md apply). */
const thinkMs = envInt("THINK_MS", 3000);
const runTimeoutMs = envInt("RUN_TIMEOUT_MS", 60_000);

const firstDelta = new Trend("agent_first_delta", true);
const runDuration = new Trend("agent_run_duration", true);
/** Per run: whether it ended in an error, a gap in its stream, or not at all. */
const agentErrors = new Rate("agent_errors");
/** Per cancelled run: whether it stopped with `cancelled` (it may have finished first). */
const agentCancelled = new Rate("agent_cancelled");
/** Per resumed run: whether the new socket carried on from the missed frame to the end. */
const agentResumed = new Rate("agent_resumed");

export const options: Options = {
  scenarios: {
    agent_trader: rampingUsers(vus, "60s"),
  },
  thresholds: {
    agent_first_delta: [`p(99)<=${slo.firstDeltaP99Ms}`],
    agent_errors: [`rate<${slo.errorRate}`],
    agent_resumed: [`rate>=${1 - slo.errorRate}`],
  },
};

const asks: AgentAsk[] = [
  { intent: "stats", input: "Who leads the table, and by how many points?" },
  { intent: "odds", input: "Where does the model disagree most with the market prices today?" },
  { agent: "eplScoutAgent", input: "Scout Arsenal: recent form, standing and next fixture." },
  { intent: "portfolio", input: "How are my positions doing at current prices?" },
  { intent: "help", input: "How does a price move when I buy shares?" },
];

type Ending = "complete" | "cancel" | "resume";
const endings: Ending[] = ["complete", "cancel", "resume"];

export default async function (): Promise<void> {
  const token = await tokenFor(vuUserId("k6-agent"), vuTier());
  const ask = asks[(__VU + __ITER) % asks.length]!;
  await new AgentRun(token, ask, endings[__ITER % endings.length]!).run();
  await pause(thinkMs);
}

class AgentRun {
  private readonly token: string;
  private readonly ask: AgentAsk;
  private readonly ending: Ending;
  private socket: WebSocket | undefined;
  private sentAt = 0;
  private requestId: string | undefined;
  /** The seq of the last stream frame received (the stream's frames are numbered from 1). */
  private lastSeq = 0;
  private sawDelta = false;
  private resumed = false;
  private cancelSent = false;
  private finished = false;
  private timeout: number | undefined;
  private done: () => void = () => {};

  constructor(token: string, ask: AgentAsk, ending: Ending) {
    this.token = token;
    this.ask = ask;
    this.ending = ending;
  }

  run(): Promise<void> {
    return new Promise((resolve) => {
      this.done = resolve;
      this.open((socket) => {
        const id = frameId("run");
        this.sentAt = Date.now();
        send(socket, frames.agentRun(id, this.ask));
        return id;
      });
      // Cleared at the end: a pending timer would hold the iteration open.
      this.timeout = setTimeout(() => this.finish(false), runTimeoutMs);
    });
  }

  /** A socket that sends `first()`'s frame once welcomed and relays the run's frames to `onFrame`. */
  private open(first: (socket: WebSocket) => string): void {
    const socket = new WebSocket(wsUrl, null, socketParams(this.token, "agent"));
    this.socket = socket;
    let streamId = "";
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket || !("data" in event)) return;
      const frame = parseServerFrame(event.data);
      if (frame.type === "welcome") streamId = first(socket);
      else this.onFrame(socket, streamId, frame);
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.finish(false);
    });
  }

  private onFrame(socket: WebSocket, streamId: string, frame: ReturnType<typeof parseServerFrame>): void {
    if (!("id" in frame) || frame.id !== streamId) return;
    switch (frame.type) {
      case "agent.accepted":
        this.requestId = frame.requestId;
        return;
      case "agent.delta":
      case "agent.tool":
      case "agent.restart":
      case "agent.done":
      case "agent.error": {
        if (frame.seq !== this.lastSeq + 1) {
          this.finish(false); // a frame of the run was lost, or came twice
          return;
        }
        this.lastSeq = frame.seq;
        if (frame.type === "agent.done") {
          runDuration.add(Date.now() - this.sentAt);
          if (this.cancelSent) agentCancelled.add(frame.stopReason === "cancelled");
          this.finish(true);
        } else if (frame.type === "agent.error") {
          this.finish(false);
        } else if (frame.type === "agent.delta" && !this.sawDelta) {
          this.sawDelta = true;
          firstDelta.add(Date.now() - this.sentAt);
          this.afterFirstDelta(socket, streamId);
        }
        return;
      }
      case "error":
        // A cancel that crossed the run's end finds no run on this socket: that is no fault.
        if (this.cancelSent && frame.code === "not_found") return;
        this.finish(false);
        return;
      default:
        return;
    }
  }

  private afterFirstDelta(socket: WebSocket, streamId: string): void {
    if (this.ending === "cancel") {
      this.cancelSent = true;
      send(socket, frames.agentCancel(streamId));
    } else if (this.ending === "resume" && this.requestId !== undefined) {
      const requestId = this.requestId;
      this.resumed = true;
      this.socket = undefined;
      socket.close();
      this.open((next) => {
        const id = frameId("resume");
        send(next, frames.agentResume(id, requestId, this.lastSeq));
        return id;
      });
    }
  }

  private finish(ok: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    agentErrors.add(!ok);
    if (this.resumed) agentResumed.add(ok);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
    this.done();
  }
}
