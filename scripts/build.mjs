import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Compiles the services and shared code to dist/ (what deployments run: no TypeScript loader in
 * the process) and copies beside them the files they read at run time relative to their own
 * module: the results data, the SQL migrations and the trading desk's static files.
 *
 *   node scripts/build.mjs        (npm run build)
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

const copy = (from, to, keep = () => true) =>
  cpSync(`${root}${from}`, `${root}${to}`, { recursive: true, filter: keep });
// A migration folder is replaced, not merged: one moved or deleted in the sources must not linger
// in dist/ and run twice. (The web folder also holds what tsc compiled into it.)
const replace = (from, to) => {
  rmSync(`${root}${to}`, { recursive: true, force: true });
  copy(from, to);
};
copy("data", "dist/data");
replace("shared/store/migrations", "dist/shared/store/migrations");
replace("services/exchange/store/migrations", "dist/services/exchange/store/migrations");
copy("services/gateway/web", "dist/services/gateway/web", (path) => !path.endsWith(".ts"));
