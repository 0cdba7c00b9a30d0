import { epochNow } from "../lib/open-loop.js";

/**
 * Raw measurements of one phase in one process, all latencies in ms from each run's scheduled
 * send time. Processes' results are merged by concatenation (`mergeMeasurements`).
 */
export interface PhaseMeasurements {
  /** Runs this process was due to send. */
  offered: number;
  /** Runs that ended with `agent.done` `end_turn` after some text. */
  completed: number;
  /** Runs still open when the phase's drain time ran out. */
  incomplete: number;
  /** Runs that ended otherwise, by error code (or `stop:<reason>`, `empty`). */
  errors: Record<string, number>;
  acceptedMs: number[];
  firstDeltaMs: number[];
  doneMs: number[];
  /** How late the client itself sent (sent − scheduled): client-side overload shows here. */
  sendLagMs: number[];
  /** Epoch ms of the last completion (0 when none). */
  lastDoneAt: number;
}

/** What the transport reports about one run; calls after the run ended are ignored. */
export interface RunProbe {
  accepted(): void;
  delta(): void;
  done(stopReason: string): void;
  failed(code: string): void;
}

export interface RunTracker {
  start(scheduledAt: number): RunProbe;
  readonly open: number;
  /** The measurements so far; runs still open count as incomplete. */
  result(offered: number): PhaseMeasurements;
}

export function createRunTracker(): RunTracker {
  const m: PhaseMeasurements = {
    offered: 0,
    completed: 0,
    incomplete: 0,
    errors: {},
    acceptedMs: [],
    firstDeltaMs: [],
    doneMs: [],
    sendLagMs: [],
    lastDoneAt: 0,
  };
  let open = 0;
  const fail = (reason: string) => {
    m.errors[reason] = (m.errors[reason] ?? 0) + 1;
  };

  return {
    start(scheduledAt) {
      open += 1;
      m.sendLagMs.push(epochNow() - scheduledAt);
      let ended = false;
      let sawDelta = false;
      let sawAccepted = false;
      const end = () => {
        ended = true;
        open -= 1;
      };
      return {
        accepted() {
          if (ended || sawAccepted) return;
          sawAccepted = true;
          m.acceptedMs.push(epochNow() - scheduledAt);
        },
        delta() {
          if (ended || sawDelta) return;
          sawDelta = true;
          m.firstDeltaMs.push(epochNow() - scheduledAt);
        },
        done(stopReason) {
          if (ended) return;
          end();
          if (stopReason !== "end_turn") fail(`stop:${stopReason}`);
          else if (!sawDelta) fail("empty");
          else {
            const now = epochNow();
            m.completed += 1;
            m.doneMs.push(now - scheduledAt);
            m.lastDoneAt = Math.max(m.lastDoneAt, now);
          }
        },
        failed(code) {
          if (ended) return;
          end();
          fail(code);
        },
      };
    },
    get open() {
      return open;
    },
    result(offered) {
      return { ...m, offered, incomplete: open, errors: { ...m.errors } };
    },
  };
}

export function mergeMeasurements(parts: readonly PhaseMeasurements[]): PhaseMeasurements {
  const errors: Record<string, number> = {};
  for (const part of parts) {
    for (const [code, n] of Object.entries(part.errors)) errors[code] = (errors[code] ?? 0) + n;
  }
  const sum = (pick: (p: PhaseMeasurements) => number) => parts.reduce((a, p) => a + pick(p), 0);
  return {
    offered: sum((p) => p.offered),
    completed: sum((p) => p.completed),
    incomplete: sum((p) => p.incomplete),
    errors,
    acceptedMs: parts.flatMap((p) => p.acceptedMs),
    firstDeltaMs: parts.flatMap((p) => p.firstDeltaMs),
    doneMs: parts.flatMap((p) => p.doneMs),
    sendLagMs: parts.flatMap((p) => p.sendLagMs),
    lastDoneAt: Math.max(0, ...parts.map((p) => p.lastDoneAt)),
  };
}

/** Polls until no run is open or `deadline` (epoch ms) passes. */
export async function drained(tracker: RunTracker, deadline: number): Promise<void> {
  while (tracker.open > 0 && epochNow() < deadline) await new Promise((r) => setTimeout(r, 20));
}
