#!/usr/bin/env node
// Runs every `*.test.ts` under services/, shared/, test/, loadtest/ and scripts/ with Node's test runner
// (through tsx). Node 20's `--test` takes no globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [--unit] [path-substring …]
// --unit leaves out `*.servers.test.ts`, the tests that need real servers (NATS, Redis,
// PostgreSQL on the machine, or a server process they start themselves): the rest run anywhere.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = ["services", "shared", "test", "loadtest", "scripts"];
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const filters = args.filter((a) => a !== "--unit");

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = roots
  .flatMap((r) => collect(r, []))
  .filter((f) => !(unitOnly && f.endsWith(".servers.test.ts")))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files.sort()],
  { stdio: "inherit", env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" } },
);
process.exit(result.status ?? 1);
