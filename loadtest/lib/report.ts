import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Where every benchmark writes its JSON (git-ignored). */
export const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = /^[-+]?[\d.,/%x –]+$/;
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric.test(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(" | ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** Milliseconds for a table cell: one decimal below 10, whole above; "–" when not measured. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value < 10 ? value.toFixed(1) : Math.round(value).toString();
}

/**
 * Writes `data` as `loadtest/results/<name>-<timestamp>.json` and returns the path. NaN (a
 * figure with no samples) is written as null, which is what JSON.stringify does.
 */
export async function writeResults(name: string, data: unknown, at = new Date()): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const stamp = at.toISOString().replace(/[:.]/g, "-");
  const path = `${resultsDir}${name}-${stamp}.json`;
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
