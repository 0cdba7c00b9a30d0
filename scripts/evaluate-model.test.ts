import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadDataset } from "../shared/epl/dataset.js";
import { evaluateReferenceWindow } from "./lib/reference-report.js";
import { summaryTable } from "./lib/window-report.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "evaluate-model-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function evaluate(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", "scripts/evaluate-model.ts", ...args], { cwd: root });
}

test("the CLI writes every test match with its score and each market's probabilities, and prints the table", async () => {
  const file = join(dir, "window.json");
  const { stdout } = await evaluate(
    "--train-before",
    "2025-02-01",
    "--test-from",
    "2025-02-01",
    "--test-to",
    "2025-02-28",
    "--json",
    file,
  );
  assert.match(
    stdout,
    /window: \d+ matches 2025-02-01\.\.2025-02-28, trained before 2025-02-01, refit before each of \d+ matchweeks/,
  );
  assert.match(stdout, /\| 1X2 \| log-loss \| 0\.\d{4} \| 0\.\d{4} \| 1\.\d{4} \|/);
  const written = JSON.parse(readFileSync(file, "utf8"));
  const february = loadDataset().matches.filter(
    (m) => m.status === "finished" && m.date >= "2025-02-01" && m.date <= "2025-02-28",
  );
  assert.equal(written.matches.length, february.length);
  assert.ok(february.length > 20);
  const first = written.matches[0];
  assert.deepEqual(Object.keys(first).slice(0, 5), ["date", "kickoff", "home", "away", "score"]);
  assert.deepEqual(
    { date: first.date, home: first.home, away: first.away, score: first.score },
    {
      date: february[0]!.date,
      home: february[0]!.home,
      away: february[0]!.away,
      score: february[0]!.fullTime,
    },
  );
  for (const m of written.matches) {
    assert.ok(m.fittedBefore <= m.kickoff, "every forecast comes from a fit made before kick-off");
    for (const [kind, outcomes] of Object.entries({
      "1x2": ["home", "draw", "away"],
      ou25: ["over", "under"],
      btts: ["yes", "no"],
    })) {
      const p = m.probabilities[kind];
      assert.deepEqual(Object.keys(p), outcomes);
      assert.ok(Math.abs(outcomes.reduce((s, o) => s + p[o], 0) - 1) < 1e-9, `${m.home} v ${m.away} ${kind}`);
    }
  }
  assert.ok(written.summary["1x2"].scores.logLoss.model > 0);
});

test("the CLI refuses a window whose fit would see its test results, and bad dates", async () => {
  await assert.rejects(
    evaluate("--train-before", "2025-03-01", "--test-from", "2025-02-01", "--test-to", "2025-02-28"),
    (err: { code: number; stderr: string }) => err.code === 2 && /would see test results/.test(err.stderr),
  );
  await assert.rejects(
    evaluate("--train-before", "2025-02-30", "--test-from", "2025-03-01", "--test-to", "2025-03-31"),
    (err: { code: number; stderr: string }) =>
      err.code === 2 && /--train-before must be a date/.test(err.stderr),
  );
  await assert.rejects(
    evaluate("--test-from", "2025-03-01"),
    (err: { code: number; stderr: string }) => err.code === 2 && /usage:/.test(err.stderr),
  );
});

test("the reference windows' tables in docs/model-evaluation.md are what the evaluation computes", () => {
  const doc = readFileSync(new URL("../docs/model-evaluation.md", import.meta.url), "utf8");
  const data = loadDataset();
  for (const name of ["reference 1", "reference 2"] as const) {
    const table = summaryTable(evaluateReferenceWindow(data, name).report);
    assert.ok(
      doc.includes(table),
      `${name}: run \`npx tsx scripts/evaluate-model.ts\` to regenerate\n${table}`,
    );
  }
});
