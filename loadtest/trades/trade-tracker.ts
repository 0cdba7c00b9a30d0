import { epochNow } from "../lib/open-loop.js";

/**
 * Raw measurements of one phase in one process, latencies in ms from each request's scheduled
 * send time. Processes' results merge by concatenation (`mergeTradeMeasurements`).
 */
export interface TradeMeasurements {
  /** Requests this process was due to send. */
  offered: number;
  /** Answered with a fill (a trade) or, for the database baseline, a commit. */
  filled: number;
  /** Answered with an error, by code (`closed:<code>` when the socket closed first). */
  rejected: Record<string, number>;
  /** Still unanswered when the phase's drain time ran out. */
  incomplete: number;
  /** Latency of every fill. */
  filledMs: number[];
  /** How late the client itself sent (sent − scheduled): client-side overload shows here. */
  sendLagMs: number[];
  /** Epoch ms of the last fill (0 when none). */
  lastFilledAt: number;
}

/** How one request ended; calls after the first are ignored. */
export interface TradeProbe {
  filled(): void;
  rejected(code: string): void;
}

export interface TradeTracker {
  start(scheduledAt: number): TradeProbe;
  readonly open: number;
  /** The measurements so far; requests still open count as incomplete. */
  result(offered: number): TradeMeasurements;
}

export function createTradeTracker(): TradeTracker {
  const m: TradeMeasurements = {
    offered: 0,
    filled: 0,
    rejected: {},
    incomplete: 0,
    filledMs: [],
    sendLagMs: [],
    lastFilledAt: 0,
  };
  let open = 0;
  return {
    start(scheduledAt) {
      open += 1;
      m.sendLagMs.push(epochNow() - scheduledAt);
      let ended = false;
      const end = () => {
        if (ended) return false;
        ended = true;
        open -= 1;
        return true;
      };
      return {
        filled() {
          if (!end()) return;
          const now = epochNow();
          m.filled += 1;
          m.filledMs.push(now - scheduledAt);
          m.lastFilledAt = Math.max(m.lastFilledAt, now);
        },
        rejected(code) {
          if (!end()) return;
          m.rejected[code] = (m.rejected[code] ?? 0) + 1;
        },
      };
    },
    get open() {
      return open;
    },
    result(offered) {
      return { ...m, offered, incomplete: open, rejected: { ...m.rejected } };
    },
  };
}

export function mergeTradeMeasurements(parts: readonly TradeMeasurements[]): TradeMeasurements {
  const rejected: Record<string, number> = {};
  for (const part of parts) {
    for (const [code, n] of Object.entries(part.rejected)) rejected[code] = (rejected[code] ?? 0) + n;
  }
  const sum = (pick: (p: TradeMeasurements) => number) => parts.reduce((a, p) => a + pick(p), 0);
  return {
    offered: sum((p) => p.offered),
    filled: sum((p) => p.filled),
    rejected,
    incomplete: sum((p) => p.incomplete),
    filledMs: parts.flatMap((p) => p.filledMs),
    sendLagMs: parts.flatMap((p) => p.sendLagMs),
    lastFilledAt: Math.max(0, ...parts.map((p) => p.lastFilledAt)),
  };
}

/** Polls until no request is open or `deadline` (epoch ms) passes. */
export async function drained(tracker: TradeTracker, deadline: number): Promise<void> {
  while (tracker.open > 0 && epochNow() < deadline) await new Promise((r) => setTimeout(r, 20));
}
