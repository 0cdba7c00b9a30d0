import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import type { Browser, Page, Response } from "playwright-core";
import { buildPlatform } from "../services/embedded/platform.js";
import { loadConfig } from "../shared/config.js";
import { createLogger } from "../shared/logger.js";
import { launchChromium } from "../test/support/chromium.js";
import { formatMs, formatTable, writeResults } from "./lib/report.js";
import { median, ratio } from "./lib/stats.js";

/**
 * The web desk's weight and first render (issue 14): the page as this tree serves it against the
 * page of a git ref (`--baseline`, default `main`), in the same run, alternating, each run in a
 * fresh browser context (cold cache) against one embedded platform. The baseline's static files
 * are answered from `git show <ref>:services/gateway/web/<file>` by request interception; the API
 * and the WebSocket are the live server's for both. Figures per variant (medians of `--runs`):
 * - static KB: the bytes of every document, script and style sheet the signed-in desk loaded;
 * - first paint: First Contentful Paint of the sign-in page;
 * - desk ready: sign-in submitted → the socket online and the fixtures listed;
 * - markets: a match clicked → its markets drawn.
 * Prints one table and writes loadtest/results/desk-weight-<timestamp>.json.
 *
 *   npx tsx loadtest/desk-weight.ts [--runs 5] [--baseline main]
 */
const { values: args } = parseArgs({
  options: { runs: { type: "string", default: "5" }, baseline: { type: "string", default: "main" } },
});
const runs = Number(args.runs);
const baselineRef = args.baseline;

const webDir = "services/gateway/web";
const types: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css",
  js: "text/javascript",
};

/** The baseline's page files, by the path the server would answer them on. */
function baselineFiles(ref: string): Map<string, { body: Buffer; type: string }> {
  const names = execFileSync("git", ["ls-tree", "--name-only", `${ref}:${webDir}`], { encoding: "utf8" })
    .split("\n")
    .filter((name) => name === "index.html" || /^[a-z-]+\.(js|css)$/.test(name));
  return new Map(
    names.map((name) => [
      name === "index.html" ? "/" : `/${name}`,
      {
        body: execFileSync("git", ["show", `${ref}:${webDir}/${name}`]),
        type: types[name.slice(name.lastIndexOf(".") + 1)]!,
      },
    ]),
  );
}

interface Sample {
  staticBytes: number;
  staticRequests: number;
  firstPaintMs: number;
  deskReadyMs: number;
  marketsMs: number;
}

const config = loadConfig({}, { dataDir: "memory", port: 0, logLevel: "silent" });
const platform = await buildPlatform(config, createLogger(config));
const base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
const browser = await launchChromium([
  // An intercepted document has no address space of its own, so Chromium would count it as public
  // and refuse its socket to 127.0.0.1; both variants run without that check.
  "--disable-features=LocalNetworkAccessChecks",
]);

async function measure(
  b: Browser,
  files: Map<string, { body: Buffer; type: string }> | undefined,
  run: number,
) {
  const context = await b.newContext({ viewport: { width: 1440, height: 900 } });
  const page: Page = await context.newPage();
  page.setDefaultTimeout(20_000);
  if (files !== undefined) {
    await page.route(
      (url) => url.origin === base && files.has(url.pathname),
      (route) => {
        const file = files.get(new URL(route.request().url()).pathname)!;
        return route.fulfill({ status: 200, contentType: file.type, body: file.body });
      },
    );
  }
  // Each body is read as its response arrives, while the page still holds it, and a failed read
  // is kept as data: a rejection nobody awaited yet would end the process. Reading stops before
  // the context closes, where a pending read fails; one started after the last await used to
  // fail unheard and crash the run (issue 18).
  const reads: Promise<number | Error>[] = [];
  const onResponse = (response: Response) => {
    const kind = response.request().resourceType();
    if (kind === "document" || kind === "script" || kind === "stylesheet") {
      reads.push(
        response.body().then(
          (body) => body.length,
          (error: Error) => new Error(`${response.url()}: ${error.message}`),
        ),
      );
    }
  };
  page.on("response", onResponse);
  try {
    await page.goto(base, { waitUntil: "load" });
    const firstPaintMs = await page.evaluate(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
    );
    await page.getByLabel("User name").fill(`weight${run}`);
    const signedIn = Date.now();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#status", { hasText: /^Online/ }).waitFor();
    await page.locator("#upcoming-list li").first().waitFor();
    const deskReadyMs = Date.now() - signedIn;
    const clicked = Date.now();
    await page.locator("#upcoming-list button.match").first().click();
    await page.locator("#market-list .market").first().waitFor();
    const marketsMs = Date.now() - clicked;
    await page.waitForLoadState("networkidle");
    page.off("response", onResponse);
    const sizes = await Promise.all(reads);
    const failed = sizes.find((size) => size instanceof Error);
    if (failed !== undefined) throw failed;
    const staticBytes = sizes.reduce<number>((sum, size) => sum + (size as number), 0);
    const staticRequests = sizes.length;
    return { staticBytes, staticRequests, firstPaintMs, deskReadyMs, marketsMs } satisfies Sample;
  } finally {
    page.off("response", onResponse);
    await Promise.all(reads);
    await context.close();
  }
}

const baseline = baselineFiles(baselineRef);
const samples: { baseline: Sample[]; current: Sample[] } = { baseline: [], current: [] };
try {
  for (let run = 0; run < runs; run++) {
    samples.baseline.push(await measure(browser, baseline, run));
    samples.current.push(await measure(browser, undefined, run));
  }
} finally {
  await browser.close();
  await platform.close();
}

const figure = (variant: Sample[], key: keyof Sample) => median(variant.map((s) => s[key]));
const keys = ["staticBytes", "staticRequests", "firstPaintMs", "deskReadyMs", "marketsMs"] as const;
const medians = Object.fromEntries(
  (["baseline", "current"] as const).map((v) => [
    v,
    Object.fromEntries(keys.map((k) => [k, figure(samples[v], k)])),
  ]),
);
const cell = (key: (typeof keys)[number], value: number) =>
  key === "staticBytes"
    ? (value / 1024).toFixed(1)
    : key === "staticRequests"
      ? String(value)
      : formatMs(value);
const labels = ["static KB", "static requests", "first paint ms", "desk ready ms", "markets ms"];
console.log(
  formatTable(
    ["figure (median)", baselineRef, "this tree", "ratio"],
    keys.map((key, i) => [
      labels[i]!,
      cell(key, medians.baseline![key]!),
      cell(key, medians.current![key]!),
      `${ratio(medians.current![key]!, medians.baseline![key]!).toFixed(2)}x`,
    ]),
  ),
);
const path = await writeResults("desk-weight", { runs, baselineRef, medians, samples });
console.log(`\n${runs} runs each, alternating; written to ${path}`);
