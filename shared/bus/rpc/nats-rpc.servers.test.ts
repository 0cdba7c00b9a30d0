import { randomBytes } from "node:crypto";
import { connectNats } from "../nats/nats-connection.js";
import { createNatsRpc } from "./nats-rpc.js";
import { rpcContract } from "./rpc.contract.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

rpcContract("nats", async (limits) => {
  const subjectPrefix = `t${randomBytes(4).toString("hex")}.`;
  // Client and server on their own connections, as two processes would be.
  const [clientNc, serverNc] = await Promise.all([
    connectNats({ natsUrl }, "rpc-test-client"),
    connectNats({ natsUrl }, "rpc-test-server"),
  ]);
  const client = createNatsRpc(clientNc, { subjectPrefix });
  const server = createNatsRpc(serverNc, { subjectPrefix, ...(limits === undefined ? {} : { limits }) });
  return {
    client,
    server,
    settled: () => serverNc.flush(),
    async dispose() {
      await Promise.all([client.close(), server.close()]);
      await Promise.all([clientNc.close(), serverNc.close()]);
    },
  };
});
