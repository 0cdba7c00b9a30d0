import assert from "node:assert/strict";
import { test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import type { LeaderLease } from "./leader-lease.js";
import { followLease } from "./leadership.js";

test("leadership lost to a slow renewal and won back while the old clock winds down: the last word is 'leading'", async () => {
  // A fake lease: its first renewal times out after 400 ms, past 0.9·ttl, as on a busy NATS
  // server; every other call answers at once. (A real server cannot be made this slow on cue.)
  let renewals = 0;
  const lease: LeaderLease = {
    ttlMs: 300,
    acquire: async () => true,
    renew: async () => {
      renewals += 1;
      if (renewals === 1) {
        // A renewal that hangs past the lease's ttl, then fails.
        await pause(400);
        throw new Error("timeout");
      }
      return true;
    },
    release: async () => {},
  };
  const changes: boolean[] = [];
  let woundDown = false;
  const leadership = followLease({
    lease,
    // The clock takes a while to stop once aborted (a reprice in flight).
    lead: async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      // The wind-down's duration.
      await pause(500);
      woundDown = true;
    },
    onChange: (leading) => changes.push(leading),
  });
  try {
    // Checked once the old clock has wound down: a "lost" told late would come then.
    await until(
      () => woundDown && leadership.leading,
      5000,
      "the lease held again and the old clock wound down",
    );
    assert.equal(changes.at(-1), true, `the last change told is the current state (${changes.join(", ")})`);
    assert.ok(changes.includes(false), "the loss was told too");
  } finally {
    await leadership.stop();
  }
});
