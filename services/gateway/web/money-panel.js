import { api, byId, credits, flash, h, price, signed } from "./dom.js";
import { outcomeLabel, teamsOf } from "./messages.js";

/** How often at most the portfolio is read again while prices of held markets move. */
const revalueEveryMs = 1_000;

/**
 * Money: balance, equity and P&L, and three views fed by the API (docs/protocol.md "Portfolio"):
 * Open (held positions valued at their sell-back quote, with a one-click Close), Settled (what each
 * settled bet paid) and History (`GET /api/trades`). The `user` channel's events and price moves of
 * held markets read them again, so every figure stays the server's, never a guess of the page's.
 * @param {{ token(): string, notify(text: string, kind?: string): void, close(position): Promise<void> }} deps
 */
export function createMoneyPanel({ token, notify, close }) {
  const balance = byId("balance");
  /** The latest `GET /api/portfolio` answer. */
  let portfolio = { balance: 0, positions: [], totals: {} };
  let revalueTimer;
  let revaluing;

  const auth = () => ({ headers: { authorization: `Bearer ${token()}` } });

  function setBalance(value) {
    const text = credits(value);
    if (balance.textContent === text) return;
    balance.textContent = text;
    flash(balance, "moved");
  }

  function pnlCell(value) {
    return h("td", { class: `num ${value > 0 ? "gain" : value < 0 ? "loss" : ""}` }, signed(value));
  }

  function marketCell(p) {
    const kind = p.title.slice(p.title.indexOf(": ") + 2);
    return h("td", {}, p.title.split(": ")[0], h("span", { class: "kind" }, ` · ${kind}`));
  }

  function renderTotals() {
    const { totals } = portfolio;
    byId("equity").textContent = credits(totals.equity ?? portfolio.balance);
    const pnl = byId("pnl");
    pnl.textContent = signed(totals.pnl ?? 0);
    pnl.className = totals.pnl > 0 ? "gain" : totals.pnl < 0 ? "loss" : "";
    byId("pnl-split").textContent =
      `realised ${signed(totals.realisedPnl ?? 0)} · unrealised ${signed(totals.unrealisedPnl ?? 0)}`;
  }

  function renderOpen() {
    const open = portfolio.positions.filter((p) => p.status !== "settled" && p.shares > 0);
    byId("open-body").replaceChildren(
      ...open.map((p) => {
        const label = outcomeLabel(teamsOf(p.title), p.outcome);
        const button = h(
          "button",
          {
            type: "button",
            class: "close-position",
            "aria-label": `Close ${label}, ${p.title}`,
            disabled: p.status !== "open" || !tradable,
            onclick: () => closePosition(p, button),
          },
          "Close",
        );
        return h(
          "tr",
          { "data-market": p.marketId, "data-outcome": p.outcome },
          marketCell(p),
          h("td", {}, label),
          h("td", { class: "num" }, p.shares),
          h("td", { class: "num" }, price(p.avgCost)),
          h("td", { class: "num" }, price(p.price)),
          h("td", { class: "num" }, credits(p.value)),
          pnlCell(p.unrealisedPnl),
          h("td", {}, button),
        );
      }),
    );
    byId("open-empty").hidden = open.length > 0;
  }

  function renderSettled() {
    const settled = portfolio.positions.filter((p) => p.status === "settled");
    byId("settled-body").replaceChildren(
      ...settled.map((p) => {
        const teams = teamsOf(p.title);
        return h(
          "tr",
          { "data-market": p.marketId },
          marketCell(p),
          h("td", {}, outcomeLabel(teams, p.outcome)),
          h("td", {}, p.winner === undefined ? "–" : outcomeLabel(teams, p.winner)),
          h("td", { class: "num" }, credits(p.payout)),
          pnlCell(p.realisedPnl),
        );
      }),
    );
    byId("settled-empty").hidden = settled.length > 0;
  }

  async function closePosition(p, button) {
    button.disabled = true;
    button.textContent = "Closing…";
    try {
      await close(p);
    } finally {
      button.textContent = "Close";
    }
  }

  async function revalue() {
    revaluing ??= api("/api/portfolio", auth())
      .then((answer) => {
        portfolio = answer;
        setBalance(answer.balance);
        renderTotals();
        renderOpen();
        renderSettled();
      })
      .catch((err) => notify(`Could not read your portfolio: ${err.message}`, "error"))
      .finally(() => {
        revaluing = undefined;
      });
    return revaluing;
  }

  async function history() {
    const { trades } = await api("/api/trades", auth());
    const titles = new Map(portfolio.positions.map((p) => [p.marketId, p.title]));
    byId("history-body").replaceChildren(
      ...trades.map((t) => {
        const title = titles.get(t.marketId) ?? t.marketId;
        const at = new Date(t.at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
        return h(
          "tr",
          {},
          h("td", {}, h("time", { datetime: t.at }, at)),
          h("td", {}, title.split(": ")[0]),
          h("td", {}, `${t.side === "buy" ? "Bought" : "Sold"} ${outcomeLabel(teamsOf(title), t.outcome)}`),
          h("td", { class: "num" }, t.shares),
          h("td", { class: "num" }, price(t.avgPrice)),
          h("td", { class: "num" }, credits(t.cost)),
        );
      }),
    );
    byId("history-empty").hidden = trades.length > 0;
  }

  /** Everything again: after a fill or a settlement, and on showing History. */
  function reload() {
    return revalue().then(() => (byId("view-history").hidden ? undefined : history()));
  }

  let tradable = false;
  for (const tab of document.querySelectorAll("#money-tabs [role=tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll("#money-tabs [role=tab]")) {
        const chosen = other === tab;
        other.setAttribute("aria-selected", String(chosen));
        byId(other.getAttribute("aria-controls")).hidden = !chosen;
      }
      if (tab.id === "tab-history") history().catch((err) => notify(err.message, "error"));
    });
  }

  return {
    load: reload,
    balance: () => portfolio.balance,
    /** Shares of `outcome` held on `marketId` now (0 when none). */
    held(marketId, outcome) {
      const p = portfolio.positions.find((x) => x.marketId === marketId && x.outcome === outcome);
      return p === undefined || p.status === "settled" ? 0 : p.shares;
    },
    titleOf: (marketId) => portfolio.positions.find((p) => p.marketId === marketId)?.title,
    /** The `user` channel's snapshot: its balance first, the valuation right after. */
    snapshot(data) {
      setBalance(data.balance);
      reload();
    },
    /** A `user` channel event (each carries the resulting balance, so applying one twice is harmless). */
    event(data) {
      const after = data.balance ?? data.trade?.balance;
      if (after !== undefined) setBalance(after);
      if (data.kind === "fill" || data.kind === "settlement") reload();
    },
    /** A market's prices moved: held positions are valued again, at most once a `revalueEveryMs`. */
    priced(marketId) {
      if (revalueTimer !== undefined) return;
      if (!portfolio.positions.some((p) => p.marketId === marketId && p.status !== "settled")) return;
      revalueTimer = setTimeout(() => {
        revalueTimer = undefined;
        revalue();
      }, revalueEveryMs);
    },
    /** Close buttons follow the connection: nothing is sold on data the page cannot trust. */
    setTradable(value) {
      tradable = value;
      renderOpen();
    },
  };
}
