/**
 * A browser client of the platform's WebSocket protocol (docs/protocol.md "WebSocket"), written to be
 * read by client authors: it keeps one socket open, and across reconnects (a drain's 1012, a
 * network drop, an expired token) it resumes what the user was doing:
 * - channels: re-subscribed with `since` = the last {seq, epoch} seen, so missed events are
 *   replayed (or a fresh snapshot comes when that history is gone);
 * - agent runs: `agent.resume` {requestId, after: last seq} under the run's own id, so its frames
 *   and `agent.cancel` keep working; a run not yet accepted is sent again with the same id,
 *   which the server never runs twice;
 * - trades: sent again with the same idempotencyKey, which the exchange never fills twice.
 * The token is refreshed before it expires with an `auth` frame.
 */

/** Reconnect delays: exponential with jitter, from `baseMs` up to `maxMs`; a drain is quicker. */
const backoff = { baseMs: 500, maxMs: 15_000, drainMaxMs: 1_000 };
/** The token is renewed this long before `exp`, or at 4/5 of a shorter remaining life. */
const refreshLeadMs = 60_000;
const closeCodes = { drain: 1012, tokenExpired: 4001 };

/** An `error` frame answering a request, as a rejection the caller can read. */
export class ProtocolError extends Error {
  constructor(frame) {
    super(frame.message);
    this.code = frame.code;
    this.retryAfterMs = frame.retryAfterMs;
  }
}

/** A frame id unique across tabs and reconnects (1–64 chars, as the protocol asks). */
export function newId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * @param {object} options
 * @param {{ current(): {token: string, expiresAt: string}, renew(): Promise<{token: string, expiresAt: string}> }} options.tokens
 * @param {(frame: object) => void} options.onFrame  every event, snapshot and unanswered frame
 * @param {(status: {state: "connecting"|"online"|"offline", gatewayId?: string, retryInMs?: number}) => void} options.onStatus
 */
export function createProtocolClient({ tokens, onFrame, onStatus }) {
  let socket;
  let online = false;
  let stopped = false;
  let attempt = 0;
  let reconnectTimer;
  let refreshTimer;
  /** Channels wanted, and the last position seen on each: what a resume asks to continue from. */
  const channels = new Set();
  const positions = new Map();
  /** Requests awaiting their answer, by id; `resend` ones survive a reconnect. */
  const pending = new Map();
  /** Agent runs not yet ended, by their client id. */
  const runs = new Map();

  function send(frame) {
    if (online) socket.send(JSON.stringify(frame));
  }

  function connect() {
    onStatus({ state: "connecting" });
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const token = encodeURIComponent(tokens.current().token);
    socket = new WebSocket(`${scheme}://${location.host}/ws?token=${token}`);
    socket.onmessage = (message) => receive(JSON.parse(message.data));
    socket.onclose = (event) => closed(event.code);
  }

  function welcomed(frame) {
    online = true;
    attempt = 0;
    onStatus({ state: "online", gatewayId: frame.gatewayId });
    if (channels.size > 0) subscribeFrame([...channels]);
    for (const run of runs.values()) {
      if (run.requestId === undefined) send(run.frame);
      else send({ type: "agent.resume", id: run.frame.id, requestId: run.requestId, after: run.after });
    }
    for (const request of pending.values()) send(request.frame);
    scheduleRefresh();
  }

  function closed(code) {
    const wasOnline = online;
    online = false;
    clearTimeout(refreshTimer);
    for (const [id, request] of pending) {
      if (request.resend) continue;
      pending.delete(id);
      request.reject(new ProtocolError({ code: "unavailable", message: "connection lost" }));
    }
    if (stopped) return;
    // A socket refused before its welcome (401: expired or unknown token) or closed 4001 needs a
    // new token; any other close reconnects with the one it has.
    const renew = code === closeCodes.tokenExpired || !wasOnline;
    const ceiling = code === closeCodes.drain ? backoff.drainMaxMs : backoff.maxMs;
    const delay = Math.min(ceiling, backoff.baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    onStatus({ state: "offline", retryInMs: Math.round(delay) });
    reconnectTimer = setTimeout(async () => {
      if (renew) await tokens.renew().catch(() => {});
      if (!stopped) connect();
    }, delay);
  }

  function scheduleRefresh() {
    const leftMs = Date.parse(tokens.current().expiresAt) - Date.now();
    const inMs = leftMs - Math.min(refreshLeadMs, leftMs / 5);
    refreshTimer = setTimeout(
      async () => {
        try {
          const { token } = await tokens.renew();
          await request({ type: "auth", id: newId("auth"), token });
          scheduleRefresh();
        } catch {
          // Left to the server: it closes 4001 at `exp`, and the reconnect renews again.
        }
      },
      Math.max(1_000, inMs),
    );
  }

  function subscribeFrame(names) {
    const since = {};
    for (const name of names) {
      const at = positions.get(name);
      if (at !== undefined) since[name] = at;
    }
    send({ type: "subscribe", id: newId("sub"), channels: names, since });
  }

  /** Drops what was already seen (a replay overlapping live delivery) and records the rest. */
  function advance(frame) {
    const at = positions.get(frame.channel);
    if (frame.type === "event" && at?.epoch === frame.epoch && frame.seq <= at.seq) return false;
    positions.set(frame.channel, { seq: frame.seq, epoch: frame.epoch });
    return true;
  }

  function receive(frame) {
    if (frame.type === "welcome") return welcomed(frame);
    if (frame.type === "event" || frame.type === "snapshot") {
      if (advance(frame)) onFrame(frame);
      return;
    }
    const run = frame.id === undefined ? undefined : runs.get(frame.id);
    if (run !== undefined) return runFrame(run, frame);
    const request = frame.id === undefined ? undefined : pending.get(frame.id);
    if (request === undefined) return onFrame(frame);
    pending.delete(frame.id);
    if (frame.type === "error") request.reject(new ProtocolError(frame));
    else request.resolve(frame);
  }

  function runFrame(run, frame) {
    if (frame.type === "agent.accepted") run.requestId = frame.requestId;
    if (frame.seq !== undefined) {
      // A resume replays from `after`; anything at or below it was already shown.
      if (frame.seq <= run.after) return;
      run.after = frame.seq;
    }
    if (frame.type === "agent.done" || frame.type === "agent.error" || frame.type === "error") {
      runs.delete(frame.id);
    }
    run.onFrame(frame);
  }

  /** Sends a frame and resolves with the frame that answers its id (rejects on an `error`). */
  function request(frame, { resend = false } = {}) {
    return new Promise((resolve, reject) => {
      if (!online && !resend) {
        reject(new ProtocolError({ code: "unavailable", message: "not connected" }));
        return;
      }
      pending.set(frame.id, { frame, resend, resolve, reject });
      send(frame);
    });
  }

  return {
    start() {
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(refreshTimer);
      socket?.close(1000, "signed out");
    },
    subscribe(names) {
      const fresh = names.filter((name) => !channels.has(name));
      for (const name of fresh) channels.add(name);
      if (online && fresh.length > 0) subscribeFrame(fresh);
    },
    quote(order) {
      return request({ type: "quote", id: newId("q"), ...order });
    },
    /** A trade survives a reconnect: its idempotencyKey makes the resend harmless. */
    trade(order) {
      return request(
        { type: "trade", id: newId("t"), idempotencyKey: newId("k"), ...order },
        { resend: true },
      );
    },
    /** Starts an agent run; `onFrame` gets its every frame until `agent.done`/`agent.error`. */
    runAgent(run, onFrame) {
      const frame = { type: "agent.run", id: newId("run"), ...run };
      runs.set(frame.id, { frame, after: 0, onFrame });
      send(frame);
      return {
        cancel: () => send({ type: "agent.cancel", id: frame.id }),
      };
    },
  };
}
