import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay between a client and a server that can go silent the way a dead network does:
 * `silence()` stops carrying bytes both ways without closing anything (and holds new connections
 * unanswered), `restore()` carries on with what was held. Nothing is lost or reordered, as TCP
 * would not lose it either; what the client sees is a socket that stops delivering.
 */
export interface SilentLink {
  /** `http://127.0.0.1:<port>` of the relay. */
  readonly url: string;
  silence(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startSilentLink(target: { host: string; port: number }): Promise<SilentLink> {
  const pairs = new Set<[Socket, Socket]>();
  let silent = false;
  /** Connections accepted while silent, joined to the target on `restore`. */
  const held: Socket[] = [];

  function join(client: Socket) {
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    if (silent) pause(pair);
  }

  // A paused pair reads nothing, so nothing is written to the other side either.
  const pause = ([a, b]: [Socket, Socket]) => {
    a.pause();
    b.pause();
  };

  const server: Server = createServer((client) => {
    if (silent) {
      client.pause();
      held.push(client);
    } else join(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no port");

  return {
    url: `http://127.0.0.1:${address.port}`,
    silence() {
      silent = true;
      for (const pair of pairs) pause(pair);
    },
    restore() {
      silent = false;
      for (const [a, b] of pairs) {
        a.resume();
        b.resume();
      }
      for (const client of held.splice(0)) {
        join(client);
        client.resume();
      }
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      for (const client of held.splice(0)) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
