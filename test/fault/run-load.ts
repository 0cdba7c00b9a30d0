import type { Frame } from "../../services/gateway/testing/ws-client.js";
import { pause } from "../support/polling.js";
import { nextFrames, RoamingSocket } from "./roaming-socket.js";

/**
 * Steady agent runs over WebSocket, one at a time per user, by a client that follows
 * docs/protocol.md: a run refused before it starts (`error` with `retryable`) is sent again with
 * the same frame id (one run per id); a socket lost before `agent.accepted` sends `agent.run`
 * again on the next gateway, one lost after it `agent.resume`s from the last seq it received,
 * as does a stream the gateway reports lost. Every frame of each run is kept in arrival order.
 */
export interface RunUser {
  userId: string;
  token: string;
  first: number;
}

export interface RunRecord {
  id: string;
  userId: string;
  startedAt: number;
  requestId?: string;
  /** Frames with a `seq`, in the order received. */
  frames: Frame[];
  /** Codes of `error` answers before the run was accepted (it was sent again). */
  refusals: string[];
  /** Codes of `error` frames after it was accepted (the stream was lost; it was resumed). */
  streamErrors: string[];
  /** When each frame of `frames` arrived (epoch ms). */
  arrivals: number[];
  /**
   * For each `agent.restart`, when the run last made progress before it: the arrival of the
   * frame before it (the start of the run for none) — when its worker was lost.
   */
  stalledAt: number[];
  /** `agent.resume`s sent (after a lost socket, a lost stream or a silent one). */
  resumes: number;
  /** Anything the client could not make sense of (a second requestId, an unexpected frame). */
  anomalies: string[];
  endedAt?: number;
}

export interface RunLoadOptions {
  /** WebSocket URLs (`ws://…/ws`) of the gateways. */
  urls: readonly string[];
  users: readonly RunUser[];
  /** What each run asks (taken in turn). */
  requests: readonly { agent: string; input: string }[];
  /** A run silent this long is resumed on a fresh socket (ms). */
  silenceMs: number;
  /** A run not ended this long after it started is given up (ms). */
  giveUpMs: number;
}

export interface RunLoad {
  readonly runs: readonly RunRecord[];
  stop(): Promise<void>;
}

export function isTerminalFrame(frame: Frame): boolean {
  return frame.type === "agent.done" || frame.type === "agent.error";
}

export function startRunLoad(options: RunLoadOptions): RunLoad {
  const runs: RunRecord[] = [];
  let stopping = false;
  const loops = options.users.map(async (user, u) => {
    const socket = new RoamingSocket(options.urls, user.token, user.first);
    for (let n = 0; !stopping; n++) {
      const request = options.requests[(u + n) % options.requests.length]!;
      const run: RunRecord = {
        id: `${user.userId}-r${n}`,
        userId: user.userId,
        startedAt: Date.now(),
        frames: [],
        refusals: [],
        streamErrors: [],
        arrivals: [],
        stalledAt: [],
        resumes: 0,
        anomalies: [],
      };
      runs.push(run);
      await follow(options, socket, run, request);
      await pause(100);
    }
    socket.close();
  });
  return {
    runs,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

async function follow(
  options: RunLoadOptions,
  roaming: RoamingSocket,
  run: RunRecord,
  request: { agent: string; input: string },
): Promise<void> {
  const giveUpAt = run.startedAt + options.giveUpMs;
  const lastSeq = () => (run.frames.at(-1)?.seq as number | undefined) ?? 0;
  while (Date.now() < giveUpAt) {
    const socket = await roaming.open();
    if (run.requestId === undefined) {
      socket.send({ type: "agent.run", id: run.id, agent: request.agent, input: request.input });
    } else {
      run.resumes += 1;
      socket.send({ type: "agent.resume", id: run.id, requestId: run.requestId, after: lastSeq() });
    }
    let again = false;
    while (!again) {
      const got = await nextFrames(socket, (f) => f.id === run.id, options.silenceMs);
      if (got === "closed") break;
      if (got === "timeout") {
        // A stream gone silent: a fresh socket cleanly replaces whatever relayed it.
        roaming.drop();
        break;
      }
      for (const frame of got) {
        if (frame.type === "agent.accepted") {
          if (run.requestId === undefined) run.requestId = frame.requestId;
          else if (frame.requestId !== run.requestId) run.anomalies.push(`second run ${frame.requestId}`);
        } else if (frame.type === "error") {
          if (run.requestId === undefined) run.refusals.push(frame.code);
          else run.streamErrors.push(frame.code);
          if (frame.retryable !== true) {
            run.anomalies.push(`final error ${frame.code}: ${frame.message}`);
            run.endedAt = Date.now();
            return;
          }
          await pause(typeof frame.retryAfterMs === "number" ? frame.retryAfterMs : 300);
          again = true;
          break;
        } else if (typeof frame.seq === "number") {
          if (frame.type === "agent.restart") run.stalledAt.push(run.arrivals.at(-1) ?? run.startedAt);
          run.frames.push(frame);
          run.arrivals.push(Date.now());
          if (isTerminalFrame(frame)) {
            run.endedAt = Date.now();
            return;
          }
        } else {
          run.anomalies.push(`unexpected ${JSON.stringify(frame)}`);
        }
      }
    }
  }
}

/**
 * What is wrong with each run, by run id (none for a good run): it never ended, ended with an
 * error that is not retryable, missed a seq, met something unexpected, or reads differently when
 * replayed from its start (`replayDifferences`). Seqs received twice are counted apart (duplicates).
 */
export async function problemsOfRuns(
  options: Pick<RunLoadOptions, "urls" | "users" | "silenceMs">,
  runs: readonly RunRecord[],
): Promise<Map<string, string[]>> {
  const problems = new Map<string, string[]>();
  const problem = (id: string, text: string) => problems.set(id, [...(problems.get(id) ?? []), text]);
  for (const run of runs) {
    const last = run.frames.at(-1);
    if (run.endedAt === undefined || last === undefined || !isTerminalFrame(last)) {
      problem(run.id, "never ended");
    } else if (last.type === "agent.error" && last.retryable !== true) {
      problem(run.id, `ended with ${last.code} (not retryable)`);
    }
    const seqs = [...new Set(run.frames.map((f) => f.seq as number))];
    if (seqs.some((s, i) => s !== i + 1)) problem(run.id, `gap in seq ${seqs.join(",")}`);
    for (const anomaly of run.anomalies) problem(run.id, anomaly);
  }
  for (const d of await replayDifferences(options, runs)) problem(d.id, d.problem);
  return problems;
}

/**
 * Reads every run again from its start with `agent.resume` (after 0) on a fresh socket of its
 * user and returns the runs whose replay differs from what their client assembled (by seq and
 * type), with what differed.
 */
export async function replayDifferences(
  options: Pick<RunLoadOptions, "urls" | "users" | "silenceMs">,
  runs: readonly RunRecord[],
): Promise<{ id: string; problem: string }[]> {
  const differences: { id: string; problem: string }[] = [];
  await Promise.all(
    options.users.map(async (user) => {
      const roaming = new RoamingSocket(options.urls, user.token, user.first);
      const mine = runs.filter((r) => r.userId === user.userId && r.requestId !== undefined);
      for (const run of mine) {
        const socket = await roaming.open();
        const id = `replay-${run.id}`;
        socket.send({ type: "agent.resume", id, requestId: run.requestId, after: 0 });
        const frames: Frame[] = [];
        while (!frames.some(isTerminalFrame)) {
          const got = await nextFrames(socket, (f) => f.id === id, options.silenceMs);
          if (typeof got === "string") {
            differences.push({ id: run.id, problem: `replay ${got} after ${frames.length} frames` });
            break;
          }
          frames.push(...got);
        }
        const shape = (list: Frame[]) => list.map((f) => `${f.seq}:${f.type}`).join(" ");
        if (frames.some(isTerminalFrame) && shape(frames) !== shape(run.frames)) {
          differences.push({
            id: run.id,
            problem: `replay ${shape(frames).slice(0, 300)} ≠ seen ${shape(run.frames).slice(0, 300)}`,
          });
        }
      }
      roaming.close();
    }),
  );
  return differences;
}
