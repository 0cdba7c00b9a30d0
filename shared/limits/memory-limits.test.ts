import { limitsContract } from "./limits.contract.js";
import { createMemoryRateLimiter } from "./memory-rate-limiter.js";
import { createMemorySemaphore } from "./memory-semaphore.js";

limitsContract("memory", async () => {
  const both = { rate: createMemoryRateLimiter(), semaphore: createMemorySemaphore() };
  return { a: both, b: both, dispose: async () => {} };
});
