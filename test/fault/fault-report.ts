import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { formatTable } from "../../loadtest/lib/report.js";
import type { LogComparison } from "../support/live-log.js";
import type { RunRecord } from "./run-load.js";
import type { TradeAudit } from "./trade-audit.js";
import type { TradeAttempt } from "./trade-load.js";

/**
 * The suite's table: one row per fault (and one for the steady load before the first), each
 * problem counted in the row of the fault it happened under — from that fault's start to the
 * next fault's start.
 */
export interface FaultWindow {
  fault: string;
  startedAt: number;
  /** When the dependency or the restarted process was back (accepting connections, ready). */
  returnedAt: number;
}

/** Something lost or duplicated, at the time it happened or was noticed. */
export interface Incident {
  kind: "trade" | "live" | "run";
  what: string;
  at: number;
}

export interface FaultRow {
  fault: string;
  /** The row of the steady load before the first fault: nothing failed, nothing to recover from. */
  steady: boolean;
  downtimeMs: number;
  /** Answers to trade requests between the fault's start and its return, by outcome. */
  answersDuring: Record<string, number>;
  /** From the return to the first trade filled after it (ms); null when none was. */
  firstSuccessAfterMs: number | null;
  /** The longest silence of the live `scores` channel at one client, from the fault's start to the next fault. */
  livePauseMs: number;
  /** Agent runs that stalled in that time and were run again (`agent.restart`: their worker was lost). */
  runsRestarted: number;
  lost: number;
  duplicated: number;
  incidents: { lost: Incident[]; duplicated: Incident[] };
}

/**
 * A run's last frame before its worker died arrives a few ms before the kill is recorded as
 * started (frames stream every few ms): a stall this close to a fault counts under that fault.
 */
const stallSlackMs = 200;

export interface RowInputs {
  windows: readonly FaultWindow[];
  attempts: readonly TradeAttempt[];
  lost: readonly Incident[];
  duplicated: readonly Incident[];
  /** When the steady load began (the first row's start) and when the load stopped. */
  steadySince: number;
  endAt: number;
  /** Arrival times of one client's `scores` events: every match's events, a steady beat. */
  liveArrivals: readonly number[];
  /** For each `agent.restart` a client was told, when its run had stalled (its worker was lost). */
  runRestarts: readonly number[];
}

export function buildRows(inputs: RowInputs): FaultRow[] {
  const { attempts, steadySince, endAt } = inputs;
  const all: FaultWindow[] = [
    { fault: "none (steady load)", startedAt: steadySince, returnedAt: steadySince },
    ...inputs.windows,
  ];
  const windowOf = (at: number) => {
    let index = 0;
    all.forEach((w, i) => {
      if (w.startedAt <= at) index = i;
    });
    return index;
  };
  return all.map((w, i) => {
    const windowEnd = all[i + 1]?.startedAt ?? endAt;
    const answersDuring: Record<string, number> = {};
    for (const a of attempts) {
      if (a.answeredAt >= w.startedAt && a.answeredAt <= w.returnedAt && i > 0) {
        answersDuring[a.outcome] = (answersDuring[a.outcome] ?? 0) + 1;
      }
    }
    const next = attempts
      .filter((a) => a.outcome === "filled" && a.answeredAt >= w.returnedAt)
      .reduce((min, a) => Math.min(min, a.answeredAt), Number.POSITIVE_INFINITY);
    const mine = (list: readonly Incident[]) => list.filter((x) => windowOf(x.at) === i);
    return {
      fault: w.fault,
      steady: i === 0,
      downtimeMs: w.returnedAt - w.startedAt,
      answersDuring,
      firstSuccessAfterMs: i > 0 && Number.isFinite(next) ? next - w.returnedAt : null,
      livePauseMs: longestPause(inputs.liveArrivals, w.startedAt, windowEnd),
      runsRestarted: inputs.runRestarts.filter((t) => windowOf(t + stallSlackMs) === i).length,
      lost: mine(inputs.lost).length,
      duplicated: mine(inputs.duplicated).length,
      incidents: { lost: mine(inputs.lost), duplicated: mine(inputs.duplicated) },
    };
  });
}

/** The longest time between two arrivals (or the window's edges and an arrival) within [from, to]. */
function longestPause(arrivals: readonly number[], from: number, to: number): number {
  let previous = from;
  let longest = 0;
  for (const at of arrivals) {
    if (at <= from) continue;
    if (at > to) break;
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return Math.max(longest, to - previous);
}

/** Everything lost or duplicated, from the audit, the live comparisons and the runs. */
export function incidentsOf(
  audit: TradeAudit,
  live: readonly { userId: string; comparison: LogComparison }[],
  runs: readonly RunRecord[],
  runProblems: ReadonlyMap<string, string[]>,
  endAt: number,
): { lost: Incident[]; duplicated: Incident[] } {
  const lost: Incident[] = [
    ...audit.lost.map((x) => ({
      kind: "trade" as const,
      what: `${x.key.key}: ${x.problem}`,
      at: x.key.firstSentAt,
    })),
    ...audit.unresolved.map((k) => ({
      kind: "trade" as const,
      what: `${k.key}: no outcome`,
      at: k.firstSentAt,
    })),
    ...live.flatMap(({ userId, comparison }) =>
      comparison.missing.map((m) => ({
        kind: "live" as const,
        what: `${userId} ${comparison.channel} seq ${m.seq} missing`,
        at: m.noticedAt ?? endAt,
      })),
    ),
    ...runs
      .filter((r) => runProblems.has(r.id))
      .map((r) => ({
        kind: "run" as const,
        what: `${r.id}: ${runProblems.get(r.id)!.join("; ")}`,
        at: r.startedAt,
      })),
  ];
  const duplicated: Incident[] = [
    ...audit.duplicated.map((d) => ({
      kind: "trade" as const,
      what: `trade ${d.tradeId} of ${d.userId} has no key`,
      at: d.at,
    })),
    ...audit.storedButRefused.map((k) => ({
      kind: "trade" as const,
      what: `${k.key}: answered ${k.outcome} but stored`,
      at: k.firstSentAt,
    })),
    ...live.flatMap(({ userId, comparison }) =>
      comparison.duplicated.map((d) => ({
        kind: "live" as const,
        what: `${userId} ${comparison.channel} seq ${d.seq} again`,
        at: d.at ?? endAt,
      })),
    ),
    ...runs.flatMap((r) =>
      repeatedSeqs(r).map((seq) => ({
        kind: "run" as const,
        what: `${r.id} seq ${seq} again`,
        at: r.startedAt,
      })),
    ),
  ];
  return { lost, duplicated };
}

/** Seqs a run's client received more than once. */
export function repeatedSeqs(run: RunRecord): number[] {
  const seen = new Set<number>();
  const repeated: number[] = [];
  for (const f of run.frames) {
    if (seen.has(f.seq)) repeated.push(f.seq);
    seen.add(f.seq);
  }
  return repeated;
}

const headers = [
  "fault",
  "downtime ms",
  "answers during it",
  "first success after ms",
  "lost",
  "duplicated",
  "live pause ms",
  "runs restarted",
];

function cells(row: FaultRow): string[] {
  const answers = Object.entries(row.answersDuring)
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(", ");
  const firstSuccess = row.firstSuccessAfterMs === null ? "none" : String(row.firstSuccessAfterMs);
  return [
    row.fault,
    row.steady ? "–" : String(row.downtimeMs),
    answers === "" ? "–" : answers,
    row.steady ? "–" : firstSuccess,
    String(row.lost),
    String(row.duplicated),
    String(row.livePauseMs),
    String(row.runsRestarted),
  ];
}

/** The table as aligned text, for the test's output. */
export function textTable(rows: readonly FaultRow[]): string {
  return formatTable(headers, rows.map(cells));
}

/** The same table in Markdown, for docs/reliability.md. */
export function markdownTable(rows: readonly FaultRow[]): string {
  const line = (c: readonly string[]) => `| ${c.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map((r) => line(cells(r)))].join("\n");
}

/** Where the suite writes its JSON (git-ignored). */
export const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));

/** Writes `report` as `test/fault/results/fault-suite-<time>.json` and returns the path. */
export async function writeReport(report: unknown, at: Date): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = `${resultsDir}fault-suite-${stamp(at)}.json`;
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/** Writes each process's output to `test/fault/results/fault-suite-<time>-logs/<name>.log`. */
export async function writeLogs(
  logs: readonly { name: string; output: string }[],
  at: Date,
): Promise<string> {
  const dir = `${resultsDir}fault-suite-${stamp(at)}-logs/`;
  await mkdir(dir, { recursive: true });
  await Promise.all(logs.map(({ name, output }) => writeFile(`${dir}${name}.log`, output)));
  return dir;
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, "-");
}
