import WebSocket from "ws";
import type { AgentName } from "../../shared/protocol/agents.js";
import { serveParent } from "../lib/client-processes.js";
import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import { createRunTracker, drained, type PhaseMeasurements, type RunProbe } from "./run-tracker.js";
import { runSpec } from "./workload.js";

/**
 * A client process of the agent-run benchmark (forked by `agent-runs.ts`): holds its share of
 * the WebSockets, spread over every gateway, and sends its share of each phase's open-loop
 * arrivals round-robin over them, reporting `PhaseMeasurements` back.
 */
export interface OpenParams {
  urls: string[];
  tokens: string[];
  sockets: number;
  /** Global index of this process's first socket: socket g goes to urls[g % n] as user tokens[g % m]. */
  socketOffset: number;
}

export interface PhaseParams {
  /** Prefix of the phase's run ids, unique per phase (the dedupe key is user + run id). */
  tag: string;
  ratePerS: number;
  durationMs: number;
  startAt: number;
  share: { index: number; of: number };
  drainMs: number;
  agents: AgentName[];
}

interface Connection {
  socket: WebSocket;
  runs: Map<string, RunProbe>;
}

const connections: Connection[] = [];

function connect(url: string, token: string): Promise<Connection> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const connection: Connection = { socket, runs: new Map() };
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as {
      type: string;
      id?: string;
      code?: string;
      stopReason?: string;
    };
    const probe = frame.id === undefined ? undefined : connection.runs.get(frame.id);
    if (probe === undefined) return;
    switch (frame.type) {
      case "agent.accepted":
        probe.accepted();
        break;
      case "agent.delta":
        probe.delta();
        break;
      case "agent.done":
        probe.done(frame.stopReason ?? "unknown");
        connection.runs.delete(frame.id!);
        break;
      case "agent.error":
      case "error":
        probe.failed(frame.code ?? "unknown");
        connection.runs.delete(frame.id!);
        break;
    }
  });
  socket.on("close", (code) => {
    for (const probe of connection.runs.values()) probe.failed(`closed:${code}`);
    connection.runs.clear();
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("message", () => resolve(connection));
  });
}

serveParent(
  {
    async open(params: OpenParams) {
      const opening = Array.from({ length: params.sockets }, (_, i) => {
        const g = params.socketOffset + i;
        return connect(params.urls[g % params.urls.length]!, params.tokens[g % params.tokens.length]!);
      });
      connections.push(...(await Promise.all(opening)));
      return { opened: connections.length };
    },
    async phase(params: PhaseParams): Promise<PhaseMeasurements> {
      const tracker = createRunTracker();
      let next = 0;
      const offered = await runOpenLoop({
        ...params,
        fire(arrival, scheduledAt) {
          const connection = connections[next++ % connections.length]!;
          const id = `${params.tag}-${arrival}`;
          const probe = tracker.start(scheduledAt);
          if (connection.socket.readyState !== WebSocket.OPEN) {
            probe.failed("socket_not_open");
            return;
          }
          connection.runs.set(id, probe);
          connection.socket.send(
            JSON.stringify({ type: "agent.run", id, ...runSpec(arrival, params.agents) }),
          );
        },
      });
      await drained(tracker, epochNow() + params.drainMs);
      // Late frames of this phase's runs must not count in the next one.
      for (const connection of connections) connection.runs.clear();
      return tracker.result(offered);
    },
  },
  async () => {
    for (const { socket } of connections) socket.terminate();
  },
);
