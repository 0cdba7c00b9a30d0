import { type WebSocket, WebSocketServer } from "ws";
import { eventText, fanoutTargets } from "../../services/gateway/live/channels.js";
import { followLive, listen, memoryServer, stopOnSignal } from "./live-feed.js";

/**
 * Baseline 1 of the fan-out benchmark: a bare `ws` server with rooms (channel → sockets). A
 * client frame `{"type":"subscribe","id","channels"}` joins rooms and is answered
 * `{"type":"subscribed","id","channels"}`; each LIVE event is serialised as the gateway
 * serialises it (the same `event` frame text, once per channel), encoded once, and the same
 * bytes are written to every socket of the room. No auth, limits, heartbeats or snapshots: the
 * floor the gateway's fan-out is measured against.
 *
 *   HOST=127.0.0.1 PORT=… STREAM_PREFIX=… SUBJECT_PREFIX=… node --import tsx loadtest/fanout/bare-ws-server.ts
 */
const rooms = new Map<string, Set<WebSocket>>();

const feed = await followLive("fanout-bare-ws", (event) => {
  let dataJson: string | undefined;
  for (const target of fanoutTargets(event.topic)) {
    const room = rooms.get(target.key);
    if (room === undefined || room.size === 0) continue;
    dataJson ??= JSON.stringify(event.data);
    const bytes = Buffer.from(eventText(target.channel, event, dataJson));
    for (const socket of room) socket.send(bytes, { binary: false });
  }
});

const server = memoryServer();
const wss = new WebSocketServer({ server, path: "/ws" });
wss.on("connection", (socket) => {
  const joined: string[] = [];
  socket.on("message", (data) => {
    const frame = JSON.parse(String(data)) as { type?: string; id?: string; channels?: string[] };
    if (frame.type !== "subscribe" || !Array.isArray(frame.channels)) return;
    for (const channel of frame.channels) {
      let room = rooms.get(channel);
      if (room === undefined) {
        room = new Set();
        rooms.set(channel, room);
      }
      room.add(socket);
      joined.push(channel);
    }
    socket.send(JSON.stringify({ type: "subscribed", id: frame.id, channels: frame.channels }));
  });
  socket.on("close", () => {
    for (const channel of joined) rooms.get(channel)?.delete(socket);
  });
});

await listen(server, feed.config);
stopOnSignal(feed.close);
