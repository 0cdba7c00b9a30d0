import { createAgentPanel } from "./agent-panel.js";
import { createBetSlip } from "./bet-slip.js";
import { connect } from "./client.js";
import { api, byId, credits, h, price } from "./dom.js";
import { createMarketBoard } from "./market-board.js";
import { createMatchTimeline } from "./match-timeline.js";
import { createMatchesPanel } from "./matches-panel.js";
import { outcomeLabel, teamsOf } from "./messages.js";
import { createMoneyPanel } from "./money-panel.js";
import { createPriceChart } from "./price-chart.js";

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
  if (list === null) return;
  const time = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  list.prepend(h("li", { class: kind }, h("time", {}, time), " ", text));
  while (list.children.length > 8) list.lastElementChild.remove();
}

/** The connection's state (shared/client/README.md) as the status line says it. */
function showStatus(status) {
  const line = byId("status");
  line.dataset.state = status.state === "reconnecting" ? "offline" : status.state;
  if (status.state === "online") line.textContent = `Online · gateway ${status.gatewayId}`;
  else if (status.state === "connecting") line.textContent = "Connecting…";
  else if (status.state === "stale") line.textContent = "Reconnecting… no data for a few seconds";
  else if (status.state === "closed") {
    const code = status.error?.closeCode;
    line.textContent = code === undefined ? "Disconnected" : `Disconnected by the server (${code})`;
  } else line.textContent = `Offline · retrying in ${Math.ceil(status.retryInMs / 1000)} s`;
}

async function start(signedIn) {
  let session = signedIn;
  byId("sign-in").hidden = true;
  byId("desk").hidden = false;
  byId("account").hidden = false;
  byId("who").textContent = `${session.userId} (${session.tier})`;

  let selected;
  /**
   * Trade ids this tab filled itself: any other fill on `user` was an agent's (or another tab's).
   * A fill's event can overtake the answer to its own trade, so it is told only once the trades
   * this tab has in flight are answered.
   */
  const ownTrades = new Set();
  const inFlight = new Set();
  /** The signed-in token first; each later call (renewal, refused socket) issues a new one. */
  let signInToken = session.token;
  const client = connect({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
    async getToken() {
      const token = signInToken;
      signInToken = undefined;
      if (token !== undefined && Date.parse(session.expiresAt) > Date.now()) return token;
      session = await issueToken(session.userId, session.tier);
      return session.token;
    },
  });
  const tracked = {
    quote: (order) => client.quote(order),
    trade(order) {
      const sent = client.trade(order).then((fill) => {
        ownTrades.add(fill.tradeId);
        return fill;
      });
      const settled = sent.catch(() => {});
      inFlight.add(settled);
      settled.finally(() => inFlight.delete(settled));
      return sent;
    },
  };
  const chart = createPriceChart({ teams: () => board.teams() });
  const board = createMarketBoard({
    onChoose: (marketId, outcome) => slip.choose(marketId, outcome),
    onChart: (market) => chart.show(market).catch((err) => notify(err.message, "error")),
  });
  const money = createMoneyPanel({
    token: () => session.token,
    notify,
    close: (position) => slip.close(position),
  });
  const slip = createBetSlip({
    client: tracked,
    market: board.market,
    balance: money.balance,
    held: money.held,
    notify,
  });
  const timeline = createMatchTimeline();
  const matches = createMatchesPanel({
    onSelect(match) {
      selected = match.matchId;
      slip.hide();
      chart.reset();
      timeline.show(match);
      byId("markets-title").scrollIntoView({ behavior: "smooth", block: "start" });
      board
        .show(match)
        .then((markets) => {
          if (markets.length > 0 && selected === match.matchId) return chart.show(markets[0]);
        })
        .catch((err) => notify(err.message, "error"));
    },
  });
  const agents = createAgentPanel({ client, context: () => (selected ? { matchId: selected } : undefined) });
  addEventListener("resize", () => chart.resize());

  function matchEvent(data, fresh) {
    const match = matches.match(data.matchId);
    if (match === undefined) return;
    timeline.add(data);
    if (!fresh) return;
    if (data.kind === "halftime" && data.matchId === selected) chart.halfTime();
    if (data.kind === "goal") {
      const who = data.player ? ` — ${data.player}` : "";
      notify(
        `Goal! ${match.home} ${data.score.home}–${data.score.away} ${match.away} (${data.minute}')${who}`,
        "goal",
      );
    }
  }

  /** A match replayed or started after the page loaded is fetched once, then followed. */
  const fetching = new Set();
  function scoresEvent(data) {
    if (matches.has(data.matchId)) {
      matches.apply(data, true);
      return matchEvent(data, true);
    }
    if (fetching.has(data.matchId)) return;
    fetching.add(data.matchId);
    api(`/api/matches/${encodeURIComponent(data.matchId)}`)
      .then((match) => matches.load([match]))
      .finally(() => fetching.delete(data.matchId));
  }

  function fillNotice(t) {
    const title = board.market(t.marketId)?.title ?? money.titleOf(t.marketId) ?? t.marketId;
    const agent = ownTrades.has(t.tradeId) ? undefined : agents.claim(t);
    const who = ownTrades.has(t.tradeId)
      ? "You"
      : agent !== undefined
        ? `${agent} (confirmed by you)`
        : "An agent (or another tab of yours)";
    const verb = t.side === "buy" ? "bought" : "sold";
    const what = outcomeLabel(teamsOf(title), t.outcome);
    notify(
      `${who} ${verb} ${t.shares} ${what} at ${price(t.avgPrice)} for ${credits(t.cost)} credits — ${title}.`,
      "fill",
    );
  }

  function userEvent(data) {
    money.event(data);
    slip.walletChanged();
    if (data.kind === "fill") Promise.allSettled([...inFlight]).then(() => fillNotice(data.trade));
    else if (data.kind === "settlement") {
      const title = money.titleOf(data.marketId) ?? board.market(data.marketId)?.title ?? data.marketId;
      notify(
        `Settled ${title}: ${outcomeLabel(teamsOf(title), data.winner)} won, you were paid ${credits(data.payout)} credits.`,
      );
    } else if (data.kind === "alert") {
      const t = data.trigger ?? {};
      const title = money.titleOf(t.marketId) ?? board.market(t.marketId)?.title ?? "";
      notify(
        t.marketId === undefined
          ? `Alert: ${t.event}`
          : `Alert: ${title} — ${outcomeLabel(teamsOf(title), t.outcome)} at ${price(t.price)}`,
      );
    }
  }

  function route(frame) {
    const { type, channel, data } = frame;
    if (type === "snapshot" && channel === "scores") {
      for (const e of data.events) {
        matches.apply(e.data, false);
        matchEvent(e.data, false);
      }
    } else if (type === "event" && channel === "scores") scoresEvent(data);
    else if (type === "snapshot" && channel === "prices") for (const m of data.markets) board.apply(m);
    else if (type === "event" && (channel === "prices" || channel.startsWith("market."))) {
      board.apply(data);
      chart.extend(data);
      slip.marketChanged(data.marketId);
      money.priced(data.marketId);
    } else if (type === "snapshot" && channel === "user") {
      money.snapshot(data);
      slip.walletChanged();
    } else if (type === "event" && channel === "user") userEvent(data);
  }

  /** Follows a channel across reconnects (the library resumes it); a refusal is told in Activity. */
  async function follow(channel) {
    try {
      for await (const frame of client.subscribe(channel)) route(frame);
    } catch (err) {
      notify(`${channel}: ${err.message}`, "error");
    }
  }

  byId("sign-out").addEventListener("click", () => {
    client.close();
    sessionStorage.removeItem(storageKey);
    location.reload();
  });

  const [live, scheduled] = await Promise.all([
    api("/api/matches?status=live"),
    api("/api/matches?status=scheduled"),
  ]);
  matches.load([...live.matches, ...scheduled.matches]);
  // The socket may have come online while the lists above loaded: the state now is applied, not
  // only the changes after it, or the slip would stay "Reconnecting" on a live connection.
  const connectionChanged = (status) => {
    showStatus(status);
    const tradable = status.state === "online";
    slip.setOnline(tradable);
    money.setTradable(tradable);
  };
  client.onState(connectionChanged);
  connectionChanged(client.state);
  for (const channel of ["scores", "prices", "user"]) follow(channel);
  await Promise.all([agents.load(), money.load()]);
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
