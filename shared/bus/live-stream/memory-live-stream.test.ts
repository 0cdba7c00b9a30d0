import { liveStreamContract } from "./live-stream.contract.js";
import { createMemoryLiveStream } from "./memory-live-stream.js";

liveStreamContract("memory", async (limits) => {
  const stream = createMemoryLiveStream(limits);
  return { open: async () => stream, dispose: () => stream.close() };
});
