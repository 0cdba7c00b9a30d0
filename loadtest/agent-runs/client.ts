import WebSocket from "ws";
import { type AgentRun, connect, type PlatformClient, ProtocolError } from "../../shared/client/mod.js";
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
  ratePerS: number;
  durationMs: number;
  startAt: number;
  share: { index: number; of: number };
  drainMs: number;
  agents: AgentName[];
}

/** A socket and the runs measured on it. */
interface Held {
  client: PlatformClient;
  runs: Map<AgentRun, RunProbe>;
}

const held: Held[] = [];

/**
 * A socket on the platform's client library (shared/client), as a trader's program would hold
 * one. Its pings are every 10 s rather than every second: 1 s pings on the default 200 sockets
 * would add 200 frames a second each way to the workload measured. A dropped socket fails the
 * runs it carried, as before: the library would resume them, late, and the drop would hide in
 * the latencies.
 */
async function open(url: string, token: string): Promise<Held> {
  const client = connect({
    url: `${url.replace(/^http/, "ws")}/ws`,
    token,
    WebSocket,
    liveness: { pingEveryMs: 10_000, staleMs: 30_000, abandonMs: 60_000 },
  });
  await client.ready();
  const socket: Held = { client, runs: new Map() };
  client.onState((state) => {
    if (state.state !== "reconnecting") return;
    for (const [run, probe] of socket.runs) {
      probe.failed(`closed:${state.closeCode}`);
      void run.return?.();
    }
    socket.runs.clear();
  });
  return socket;
}

/** Follows one run to its end, telling `probe` what a caller would notice. */
async function measure(socket: Held, run: AgentRun, probe: RunProbe) {
  socket.runs.set(run, probe);
  run.accepted.then(
    () => probe.accepted(),
    () => {},
  );
  try {
    for await (const frame of run) {
      if (frame.type === "agent.delta") probe.delta();
      else if (frame.type === "agent.done") probe.done(frame.stopReason);
      else if (frame.type === "agent.error") probe.failed(frame.code);
    }
  } catch (error) {
    probe.failed(error instanceof ProtocolError ? error.code : (error as Error).name);
  } finally {
    socket.runs.delete(run);
  }
}

serveParent(
  {
    async open(params: OpenParams) {
      const opening = Array.from({ length: params.sockets }, (_, i) => {
        const g = params.socketOffset + i;
        return open(params.urls[g % params.urls.length]!, params.tokens[g % params.tokens.length]!);
      });
      held.push(...(await Promise.all(opening)));
      return { opened: held.length };
    },
    async phase(params: PhaseParams): Promise<PhaseMeasurements> {
      const tracker = createRunTracker();
      let next = 0;
      const offered = await runOpenLoop({
        ...params,
        fire(arrival, scheduledAt) {
          const socket = held[next++ % held.length]!;
          const probe = tracker.start(scheduledAt);
          if (socket.client.state.state !== "online") {
            probe.failed("socket_not_open");
            return;
          }
          const { agent, input } = runSpec(arrival, params.agents);
          void measure(socket, socket.client.run({ agent }, input), probe);
        },
      });
      await drained(tracker, epochNow() + params.drainMs);
      // Late frames of this phase's runs must not count in the next one.
      for (const socket of held) {
        for (const run of socket.runs.keys()) void run.return?.();
        socket.runs.clear();
      }
      return tracker.result(offered);
    },
  },
  async () => {
    for (const { client } of held) client.close();
  },
);
