import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";

const crashOnly = new URL("./crash-only.ts", import.meta.url).href;
const logger = new URL("./logger.ts", import.meta.url).href;

/** Runs `body` in a real Node process with crash-only installed; what it printed and how it ended. */
async function run(body: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const script = `
    import { exitOnUnexpectedError } from ${JSON.stringify(crashOnly)};
    import { createLogger } from ${JSON.stringify(logger)};
    const logger = createLogger({ logLevel: "info" }, { service: "crash-test" });
    exitOnUnexpectedError(logger);
    logger.info("started");
    ${body}
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, lines: stdout.split("\n").filter((l) => l.length > 0), stderr };
}

describe("crash-only: an unexpected error logs one fatal line and exits non-zero", () => {
  test("an exception thrown from a timer", async () => {
    const { code, lines, stderr } =
      await run(`setTimeout(() => { throw new TypeError("boom in a timer"); }, 10);
      setInterval(() => {}, 1000);`);
    assert.equal(code, 1, stderr);
    assert.equal(lines.length, 2, lines.join("\n"));
    const fatal = JSON.parse(lines[1]!);
    assert.equal(fatal.level, 60);
    assert.equal(fatal.service, "crash-test");
    assert.equal(fatal.err.type, "TypeError");
    assert.equal(fatal.err.message, "boom in a timer");
    assert.match(fatal.err.stack, /boom in a timer/);
    assert.match(fatal.msg, /uncaught exception/);
    assert.equal(stderr, "", "nothing but the line: no stack trace on stderr");
  });

  test("a rejection nobody handles", async () => {
    const { code, lines, stderr } = await run(`void Promise.reject(new Error("nobody waited"));
      setInterval(() => {}, 1000);`);
    assert.equal(code, 1, stderr);
    assert.equal(lines.length, 2, lines.join("\n"));
    const fatal = JSON.parse(lines[1]!);
    assert.equal(fatal.level, 60);
    assert.equal(fatal.err.message, "nobody waited");
    assert.match(fatal.msg, /unhandled rejection/);
  });

  test("a process without one exits 0 as usual", async () => {
    const { code, lines } = await run(`setTimeout(() => logger.info("done"), 10);`);
    assert.equal(code, 0);
    assert.equal(lines.length, 2);
  });
});
