import { createAgentPanel } from "./agent-panel.js";
import { api, byId, h } from "./dom.js";
import { createMatchesPanel } from "./matches-panel.js";
import { createProtocolClient } from "./protocol-client.js";
import { createTradePanel } from "./trade-panel.js";
import { createWalletPanel } from "./wallet-panel.js";

/** The signed-in user for this tab only: {userId, tier, token, expiresAt}. */
const storageKey = "epl.session";

function storedSession() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey) ?? "null") ?? undefined;
  } catch {
    return undefined;
  }
}

/** A development token (docs/protocol.md "HTTP"): any user id, no password; embedded mode enables it. */
async function issueToken(userId, tier) {
  const { token, expiresAt } = await api("/api/auth/dev-token", {
    method: "POST",
    body: JSON.stringify({ userId, tier }),
  });
  const session = { userId, tier, token, expiresAt };
  sessionStorage.setItem(storageKey, JSON.stringify(session));
  return session;
}

/** The activity list: goals, settlements, alerts and errors, newest first. */
function notify(text, kind = "info") {
  const list = byId("notices");
  const time = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  list.prepend(h("li", { class: kind }, h("time", {}, time), " ", text));
  while (list.children.length > 8) list.lastElementChild.remove();
}

function showStatus(status) {
  const line = byId("status");
  line.dataset.state = status.state;
  if (status.state === "online") line.textContent = `Online · gateway ${status.gatewayId}`;
  else if (status.state === "connecting") line.textContent = "Connecting…";
  else line.textContent = `Offline · retrying in ${Math.ceil(status.retryInMs / 1000)} s`;
}

async function start(signedIn) {
  let session = signedIn;
  byId("sign-in").hidden = true;
  byId("desk").hidden = false;
  byId("account").hidden = false;
  byId("who").textContent = `${session.userId} (${session.tier})`;

  let selected;
  const client = createProtocolClient({
    tokens: {
      current: () => session,
      renew: async () => {
        session = await issueToken(session.userId, session.tier);
        return session;
      },
    },
    onStatus: showStatus,
    onFrame: (frame) => route(frame),
  });
  const trade = createTradePanel({ client, onFilled: (t) => wallet.event({ kind: "fill", trade: t }) });
  const wallet = createWalletPanel({ priceOf: trade.priceOf, notify });
  const matches = createMatchesPanel({
    onSelect(match) {
      selected = match.matchId;
      trade.show(match).catch((err) => notify(err.message, "error"));
    },
    onGoal(match, data) {
      const who = data.player ? ` — ${data.player}` : "";
      notify(
        `Goal! ${match.home} ${data.score.home}–${data.score.away} ${match.away} (${data.minute}')${who}`,
        "goal",
      );
    },
  });
  const agents = createAgentPanel({ client, context: () => (selected ? { matchId: selected } : undefined) });

  /** A match replayed or started after the page loaded is fetched once, then followed. */
  const fetching = new Set();
  function scoresEvent(data) {
    if (matches.has(data.matchId)) return matches.apply(data, true);
    if (fetching.has(data.matchId)) return;
    fetching.add(data.matchId);
    api(`/api/matches/${encodeURIComponent(data.matchId)}`)
      .then((match) => matches.load([match]))
      .finally(() => fetching.delete(data.matchId));
  }

  function route(frame) {
    const { type, channel, data } = frame;
    if (type === "snapshot" && channel === "scores")
      for (const e of data.events) matches.apply(e.data, false);
    else if (type === "event" && channel === "scores") scoresEvent(data);
    else if (type === "snapshot" && channel === "prices") for (const m of data.markets) trade.apply(m);
    else if (type === "event" && (channel === "prices" || channel.startsWith("market."))) {
      trade.apply(data);
      wallet.refresh(data.marketId);
    } else if (type === "snapshot" && channel === "user") wallet.snapshot(data);
    else if (type === "event" && channel === "user") wallet.event(data);
    else if (type === "error") notify(`${frame.message} (${frame.code})`, "error");
  }

  byId("sign-out").addEventListener("click", () => {
    client.stop();
    sessionStorage.removeItem(storageKey);
    location.reload();
  });

  const [live, scheduled] = await Promise.all([
    api("/api/matches?status=live"),
    api("/api/matches?status=scheduled"),
  ]);
  matches.load([...live.matches, ...scheduled.matches]);
  client.start();
  client.subscribe(["scores", "prices", "user"]);
  await agents.load();
}

byId("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = byId("sign-in-error");
  error.textContent = "";
  try {
    await start(await issueToken(String(form.get("userId")), String(form.get("tier"))));
  } catch (err) {
    error.textContent = `Could not sign in: ${err.message}`;
  }
});

const resumed = storedSession();
if (resumed !== undefined) start(resumed).catch((err) => notify(err.message, "error"));
