import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/**
 * The switches every headless run here needs: Debian's Chromium (the machine's, not a download),
 * no sandbox (the tests run as root), and no background networking — on a closed network its
 * connections are refused many at a time and slow every start.
 */
export const chromiumArgs = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];

export const chromiumPath = "/usr/bin/chromium";

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, ...extraArgs] });
}

/**
 * Where a browser test writes its screenshots: the README's pictures in docs/screenshots/ only
 * when asked (`UPDATE_SCREENSHOTS=1`), else a fresh temporary folder, so that running the suite
 * leaves the checkout as it was.
 */
export function screenshotDir(): string {
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    const docs = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
    mkdirSync(docs, { recursive: true });
    return docs;
  }
  return mkdtempSync(join(tmpdir(), "epl-screenshots-"));
}
