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
