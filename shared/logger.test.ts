import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

test("lines logged just before the process exits are not lost", async () => {
  const script = `
    import { createLogger } from "./shared/logger.ts";
    const log = createLogger({ logLevel: "info" }, { service: "probe" });
    for (let i = 0; i < 1000; i++) log.info({ i }, "agent run finished");
    log.fatal("stopping");
    process.exit(3);
  `;
  const child = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: new URL("..", import.meta.url).pathname,
  }).catch((err: { code: number; stdout: string }) => err);
  assert.equal("code" in child ? child.code : 0, 3);
  const lines = child.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.equal(lines.length, 1001);
  assert.deepEqual(lines.at(-1), { ...lines.at(-1), level: 60, service: "probe", msg: "stopping" });
  assert.equal(lines[999].i, 999);
});
