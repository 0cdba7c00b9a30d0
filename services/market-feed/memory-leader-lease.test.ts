import { leaderLeaseContract } from "./leader-lease.contract.js";
import { createMemoryLeaseTable } from "./memory-leader-lease.js";

leaderLeaseContract("memory", async (ttlMs) => {
  const table = createMemoryLeaseTable(ttlMs);
  return { holder: async () => table.lease(), dispose: async () => {} };
});
