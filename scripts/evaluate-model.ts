// Rolling-origin evaluation of the pricing model against the plain Poisson it replaced and the
// league base rates (docs/model-evaluation.md).
//
//   npx tsx scripts/evaluate-model.ts
//     The reference report: prints every window's table, writes docs/model-evaluation.json, the
//     reliability diagrams under docs/model-evaluation/ and the generated part of
//     docs/model-evaluation.md.
//   npx tsx scripts/evaluate-model.ts --train-before YYYY-MM-DD --test-from YYYY-MM-DD
//       --test-to YYYY-MM-DD [--json FILE] [--refit matchweek|once]
//     One window (test-to inclusive): prints its table; FILE gets every test match's date, teams,
//     final score and the three forecasters' probabilities for every outcome of the three markets.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadDataset } from "../shared/epl/dataset.js";
import { marketKinds } from "../shared/epl/markets.js";
import { referenceReport } from "./lib/reference-report.js";
import { type EvaluationWindow, rollingForecasts } from "./lib/rolling-evaluation.js";
import { reportWindow, summaryTable, type WindowReport } from "./lib/window-report.js";

const usage =
  "usage: npx tsx scripts/evaluate-model.ts [--train-before YYYY-MM-DD --test-from YYYY-MM-DD " +
  "--test-to YYYY-MM-DD [--json FILE] [--refit matchweek|once]]";

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      "train-before": { type: "string" },
      "test-from": { type: "string" },
      "test-to": { type: "string" },
      json: { type: "string" },
      refit: { type: "string", default: "matchweek" },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
try {
  args = parse();
} catch (err) {
  fail((err as Error).message);
}

/** `YYYY-MM-DD` → the instant that day starts (UTC); `nextDay` for an inclusive end. */
function dayStart(flag: string, value: string, nextDay = false): string {
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  if (!valid || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    fail(`--${flag} must be a date YYYY-MM-DD, got "${value}"`);
  }
  return new Date(Date.parse(`${value}T00:00:00Z`) + (nextDay ? 86_400_000 : 0)).toISOString();
}

const data = loadDataset();
const windowFlags = [args["train-before"], args["test-from"], args["test-to"]];
if (windowFlags.every((v) => v === undefined)) {
  if (args.json !== undefined) fail("--json needs a window: --train-before, --test-from and --test-to");
  await referenceReport(data);
} else {
  if (windowFlags.some((v) => v === undefined))
    fail("give all three of --train-before, --test-from, --test-to");
  if (args.refit !== "matchweek" && args.refit !== "once")
    fail(`--refit is matchweek or once, got "${args.refit}"`);
  const window: EvaluationWindow = {
    trainBefore: dayStart("train-before", args["train-before"]!),
    testFrom: dayStart("test-from", args["test-from"]!),
    testTo: dayStart("test-to", args["test-to"]!, true),
    refit: args.refit,
  };
  let forecasts: ReturnType<typeof rollingForecasts>;
  try {
    forecasts = rollingForecasts(data, window);
  } catch (err) {
    fail((err as Error).message);
  }
  if (forecasts.length < 2)
    fail(`the window holds ${forecasts.length} finished matches; at least 2 are needed`);
  const report: WindowReport = reportWindow("window", window, forecasts);
  console.log(summaryTable(report));
  if (args.json !== undefined) {
    const matches = forecasts.map((x) => ({
      date: x.match.date,
      kickoff: x.match.kickoff,
      home: x.match.home,
      away: x.match.away,
      score: x.match.fullTime,
      fittedBefore: x.fittedBefore,
      probabilities: x.prices.model,
      baseline: x.prices.baseline,
      baseRate: x.prices.baseRate,
    }));
    const outcomes = Object.fromEntries(Object.entries(marketKinds).map(([k, v]) => [k, v.outcomes]));
    writeFileSync(
      args.json,
      `${JSON.stringify({ window, outcomes, summary: report.scores, matches }, null, 2)}\n`,
    );
    console.log(`wrote ${matches.length} matches to ${args.json}`);
  }
}
