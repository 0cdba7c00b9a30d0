import { api, byId, credits, flash, h, price } from "./dom.js";
import { outcomeLabel } from "./trade-panel.js";

/**
 * Balance and open positions: the `user` channel's snapshot, then its `fill`, `balance` and
 * `settlement` events (each carries the resulting balance, so applying one twice is harmless).
 * @param {{ priceOf(marketId, outcome): number|undefined, notify(text: string): void }} deps
 */
export function createWalletPanel({ priceOf, notify }) {
  const balance = byId("balance");
  const rows = byId("positions-body");
  /** `${marketId} ${outcome}` → { marketId, outcome, shares, avgCost, price? } */
  const positions = new Map();
  /** marketId → title, read once per market from the public market data. */
  const titles = new Map();

  function setBalance(value) {
    const text = credits(value);
    if (balance.textContent === text) return;
    balance.textContent = text;
    flash(balance, "moved");
  }

  function upsert(p) {
    const key = `${p.marketId} ${p.outcome}`;
    if (p.shares > 0) positions.set(key, { ...positions.get(key), ...p });
    else positions.delete(key);
  }

  function title(marketId) {
    if (!titles.has(marketId)) {
      titles.set(marketId, marketId);
      api(`/api/markets/${encodeURIComponent(marketId)}`)
        .then((market) => {
          titles.set(marketId, market.title);
          render();
        })
        .catch(() => {});
    }
    return titles.get(marketId);
  }

  function render() {
    const list = [...positions.values()].sort((a, b) => a.marketId.localeCompare(b.marketId));
    rows.replaceChildren(
      ...list.map((p) => {
        const name = title(p.marketId);
        const [home, away] = name.split(": ")[0].split(" v ");
        const now = priceOf(p.marketId, p.outcome) ?? p.price;
        return h(
          "tr",
          {},
          h("td", {}, name),
          h("td", {}, outcomeLabel({ home, away }, p.outcome)),
          h("td", { class: "num" }, p.shares),
          h("td", { class: "num" }, price(p.avgCost)),
          h("td", { class: "num" }, now === undefined ? "–" : price(now)),
        );
      }),
    );
    byId("positions-empty").hidden = list.length > 0;
  }

  return {
    snapshot(data) {
      setBalance(data.balance);
      positions.clear();
      for (const p of data.positions) upsert(p);
      render();
    },
    /** A `user` channel event, or the trade of a `trade.filled` answer. */
    event(data) {
      switch (data.kind) {
        case "fill":
          setBalance(data.trade.balance);
          upsert({ marketId: data.trade.marketId, outcome: data.trade.outcome, ...data.trade.position });
          render();
          break;
        case "balance":
          setBalance(data.balance);
          break;
        case "settlement":
          setBalance(data.balance);
          for (const [key, p] of positions) if (p.marketId === data.marketId) positions.delete(key);
          render();
          notify(
            `Settled ${title(data.marketId)}: ${data.winner} won, you were paid ${credits(data.payout)}.`,
          );
          break;
        case "alert": {
          const t = data.trigger ?? {};
          const what =
            t.marketId === undefined ? `${t.event} in ${t.matchId}` : `${t.outcome} at ${price(t.price)}`;
          notify(`Alert: ${t.marketId === undefined ? "" : `${title(t.marketId)} `}${what}`);
          break;
        }
      }
    },
    /** A market's prices moved: the positions' current prices follow. */
    refresh(marketId) {
      for (const p of positions.values()) if (p.marketId === marketId) return render();
    },
  };
}
