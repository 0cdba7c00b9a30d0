import { createMemoryRpc } from "./memory-rpc.js";
import { rpcContract } from "./rpc.contract.js";

rpcContract("memory", async () => {
  const rpc = createMemoryRpc();
  return { client: rpc, server: rpc, settled: async () => {}, dispose: () => rpc.close() };
});
