import { createMemoryRunQueue } from "./memory-run-queue.js";
import { runQueueContract } from "./run-queue.contract.js";

runQueueContract("memory", async (options) => {
  const queue = createMemoryRunQueue(options);
  // One process: every "process" of the contract shares this instance.
  return { open: async () => queue, dispose: () => queue.close() };
});
