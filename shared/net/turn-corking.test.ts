import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, Socket } from "node:net";
import { afterEach, beforeEach, test } from "node:test";
import { until } from "../../test/support/polling.js";
import { countSocketWrites } from "./socket-writes.js";
import { corkForTurn } from "./turn-corking.js";

let server: Server;
let received: Buffer[];
let client: Socket;

beforeEach(async () => {
  received = [];
  server = createServer((peer) => peer.on("data", (chunk) => received.push(chunk)));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  client = new Socket();
  client.connect(port, "127.0.0.1");
  await once(client, "connect");
});

afterEach(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** Three writes in three microtask steps of one turn, as a handler that awaits between them. */
async function writeInSteps(socket: Socket, cork: boolean): Promise<void> {
  for (const part of ["one,", "two,", "three"]) {
    if (cork) corkForTurn(socket);
    socket.write(part);
    await Promise.resolve();
  }
}

async function receivedText(length: number): Promise<string> {
  await until(() => Buffer.concat(received).length >= length, 5_000, `${length} bytes`);
  return Buffer.concat(received).toString();
}

test("writes of one turn leave in one syscall, in order", async () => {
  const writes = countSocketWrites(client);
  await writeInSteps(client, true);
  assert.equal(writes.count, 0, "held until the turn ends");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.count, 1);
  assert.equal(await receivedText(13), "one,two,three");
});

test("without corking, the same steps cost a syscall each", async () => {
  const writes = countSocketWrites(client);
  await writeInSteps(client, false);
  assert.equal(writes.count, 3);
  assert.equal(await receivedText(13), "one,two,three");
});

test("each turn is corked anew, so a later turn's writes are not held", async () => {
  const writes = countSocketWrites(client);
  await writeInSteps(client, true);
  await new Promise((resolve) => setImmediate(resolve));
  corkForTurn(client);
  client.write("|four");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.count, 2);
  assert.equal(await receivedText(18), "one,two,three|four");
});

test("a destroyed socket is left alone", () => {
  client.destroy();
  assert.doesNotThrow(() => corkForTurn(client));
  assert.equal(client.writableCorked, 0);
});
