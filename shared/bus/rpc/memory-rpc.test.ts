import { createMemoryRpc } from "./memory-rpc.js";
import { rpcContract } from "./rpc.contract.js";

rpcContract("memory", async (limits) => {
  const rpc = createMemoryRpc(limits === undefined ? {} : { limits });
  return { client: rpc, server: rpc, settled: async () => {}, dispose: () => rpc.close() };
});
