import { limitsContract } from "./limits.contract.js";
import { createMemoryRateLimiter } from "./memory-rate-limiter.js";
import { createMemorySemaphore } from "./memory-semaphore.js";

limitsContract("memory", async () => {
  const rate = createMemoryRateLimiter();
  const both = { rate, semaphore: createMemorySemaphore({ limiter: rate }) };
  return { a: both, b: both, dispose: async () => {} };
});
