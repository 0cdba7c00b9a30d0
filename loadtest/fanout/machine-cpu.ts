import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/stat (USER_HZ). */
const ticksPerS = 100;

/**
 * Busy and total CPU ms of the whole machine so far (all cores, from /proc/stat). Between two
 * readings, busy / total is how much of the machine was in use, by whoever: on a shared machine
 * that says whether a phase had the cores it needed.
 */
export function machineCpuMs(): { busy: number; total: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // Columns 4 and 5 (idle, iowait) are the not-busy time.
    const busy = total - fields[3]! - fields[4]!;
    return { busy: (busy * 1000) / ticksPerS, total: (total * 1000) / ticksPerS };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}
