import { Server } from "socket.io";
import { fanoutTargets } from "../../services/gateway/live/channels.js";
import { followLive, listen, memoryServer, stopOnSignal } from "./live-feed.js";

/**
 * Baseline 2 of the fan-out benchmark: Socket.IO 4 with the same rooms, websocket transport
 * only. `subscribe` (channels, ack) joins the rooms; each LIVE event is emitted as the same
 * `event` frame object to the room of each channel it belongs to (`io.to(room).emit`, which
 * encodes the packet once per room).
 *
 *   HOST=127.0.0.1 PORT=… STREAM_PREFIX=… SUBJECT_PREFIX=… node --import tsx loadtest/fanout/socketio-server.ts
 */
const server = memoryServer();
const io = new Server(server, { transports: ["websocket"], serveClient: false });

const feed = await followLive("fanout-socketio", (event) => {
  for (const target of fanoutTargets(event.topic)) {
    if ((io.sockets.adapter.rooms.get(target.key)?.size ?? 0) === 0) continue;
    io.to(target.key).emit("event", {
      type: "event",
      channel: target.channel,
      seq: event.seq,
      epoch: event.epoch,
      data: event.data,
    });
  }
});

io.on("connection", (socket) => {
  socket.on("subscribe", (channels: unknown, ack: unknown) => {
    if (!Array.isArray(channels) || typeof ack !== "function") return;
    void socket.join(channels as string[]);
    ack({ channels });
  });
});

await listen(server, feed.config);
stopOnSignal(async () => {
  io.close();
  await feed.close();
});
