import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorRegistry } from "../errors.js";
import { closeCodes, closeRanges, isTerminalClose } from "./close-codes.js";

/**
 * docs/protocol.md is the public contract: its "Error codes" and "Close codes" tables must say
 * what the code does, so a code added, removed or changed on one side only fails here.
 */
const protocol = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");

/** The rows of the first table under `## <title>`, as arrays of trimmed cells (header dropped). */
function tableRows(title: string): string[][] {
  const start = protocol.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/protocol.md has a "${title}" section`);
  const end = protocol.indexOf("\n## ", start + 1);
  const lines = protocol.slice(start, end < 0 ? undefined : end).split("\n");
  const table = lines.filter((line) => line.startsWith("|"));
  return table.slice(2).map((line) =>
    line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim()),
  );
}

test("the error codes in docs/protocol.md are the registry's, with its statuses and retryability", () => {
  const documented = Object.fromEntries(
    tableRows("Error codes").map(([code, status, retryable]) => [
      code!.replaceAll("`", ""),
      { status: Number(status), retryable: retryable === "yes" },
    ]),
  );
  assert.deepEqual(documented, errorRegistry);
});

test("the close codes in docs/protocol.md are the ones the gateway closes with", () => {
  const documented = tableRows("Close codes")
    .map(([code]) => Number(code))
    .sort();
  assert.deepEqual(documented, Object.values(closeCodes).sort());
});

test("the close code ranges in docs/protocol.md are the module's, and every code of ours reconnects", () => {
  const { reconnect, terminal } = closeRanges;
  assert.ok(protocol.includes(`${reconnect.from}–${reconnect.to} reconnect`), "reconnect range documented");
  assert.ok(protocol.includes(`${terminal.from}–${terminal.to} terminal`), "terminal range documented");
  for (const code of Object.values(closeCodes)) {
    assert.equal(isTerminalClose(code), false, `${code} lets the client reconnect`);
    if (code >= 4000)
      assert.ok(code >= reconnect.from && code <= reconnect.to, `${code} in the reconnect range`);
  }
  assert.equal(isTerminalClose(terminal.from), true);
  assert.equal(isTerminalClose(terminal.to), true);
  assert.equal(isTerminalClose(reconnect.to), false);
});
