import { Socket } from "node:net";

/** What postgres.js passes its `socket` option: the parsed connection options. */
interface SocketTarget {
  host: string[];
  port: number[];
}

/**
 * postgres.js's `socket` option: its connections with Nagle's algorithm off. postgres.js leaves it
 * on, and under load it pipelines queries on a connection, so a query written while an earlier
 * one is still unacknowledged waited for the server's delayed ACK (tens of ms). In the trades
 * benchmark (1000/s over 50 markets, 1 gateway + 1 exchange) this took p99 from 475 to 254 ms
 * for the exchange alone and from 700 to 209 ms through the gateway. postgres.js uses the socket
 * as given, so this connects it, to the first host (the platform's URLs name one).
 */
export function noDelaySocket(target: SocketTarget): Socket {
  const socket = new Socket();
  socket.setNoDelay(true);
  return socket.connect(target.port[0]!, target.host[0]!);
}

/** Spread into postgres.js options: the `socket` option is missing from its type declarations. */
export const noDelayConnections = { socket: noDelaySocket } as Record<string, unknown>;
