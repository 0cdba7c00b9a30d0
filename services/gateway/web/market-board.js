import { api, byId, flash, h, price } from "./dom.js";
import { outcomeLabel, teamsOf } from "./messages.js";

const statusLabels = { open: "Open", suspended: "Suspended", closed: "Closed", settled: "Settled" };

/**
 * The markets of the selected match: a card per market with a button per outcome, its price and
 * status following the `prices` channel. A decided market shows its winner, not its last prices.
 * Picking an outcome puts it on the bet slip; picking a market's title charts it.
 * @param {{ onChoose(marketId, outcome): void, onChart(market): void }} deps
 */
export function createMarketBoard({ onChoose, onChart }) {
  const list = byId("market-list");
  /** The latest {status, prices, winner} of every market seen on `prices`, shown or not. */
  const latest = new Map();
  /** marketId → { market, element, badge, outcomes: Map(outcome → {button, priceText}) } of the match shown. */
  const cards = new Map();
  let match;

  function card(market) {
    const badge = h("span", { class: "badge" });
    const outcomes = new Map();
    const buttons = market.outcomes.map((outcome) => {
      const priceText = h("span", { class: "price" });
      const button = h(
        "button",
        {
          type: "button",
          class: "outcome",
          "aria-pressed": "false",
          onclick: () => {
            for (const entry of cards.values()) {
              for (const [key, o] of entry.outcomes) {
                o.button.setAttribute("aria-pressed", String(entry.market === market && key === outcome));
              }
            }
            onChart(market);
            onChoose(market.marketId, outcome);
          },
        },
        h("span", {}, outcomeLabel(match, outcome)),
        priceText,
      );
      outcomes.set(outcome, { button, priceText });
      return button;
    });
    const kind = market.title.slice(market.title.indexOf(": ") + 2);
    const title = h("button", { type: "button", class: "chart-link", onclick: () => onChart(market) }, kind);
    const element = h(
      "article",
      { class: "market", "data-market": market.marketId },
      h("h3", {}, title, " ", badge),
      h("div", { class: "outcomes" }, ...buttons),
    );
    return { market, element, badge, outcomes };
  }

  function render(entry) {
    const { market, element, badge, outcomes } = entry;
    const decided =
      market.winner !== undefined && (market.status === "settled" || market.status === "closed");
    badge.textContent = decided
      ? `${statusLabels[market.status]} · ${outcomeLabel(match, market.winner)} won`
      : (statusLabels[market.status] ?? market.status);
    element.dataset.status = market.status;
    for (const [outcome, { button, priceText }] of outcomes) {
      const before = priceText.textContent;
      priceText.textContent = decided
        ? outcome === market.winner
          ? "Won"
          : "Lost"
        : price(market.prices[outcome] ?? 0);
      if (!decided && before !== "" && before !== priceText.textContent) flash(priceText, "moved");
      button.classList.toggle("winner", decided && outcome === market.winner);
      button.disabled = market.status !== "open";
    }
  }

  return {
    /** Loads the markets of `selected` (a match of the fixtures panel); resolves with them. */
    async show(selected) {
      match = selected;
      cards.clear();
      byId("markets-title").textContent = `Markets — ${selected.home} v ${selected.away}`;
      list.replaceChildren(h("p", { class: "hint" }, "Loading markets…"));
      const { markets } = await api(`/api/markets?matchId=${encodeURIComponent(selected.matchId)}`);
      if (match !== selected) return [];
      for (const market of markets) {
        Object.assign(market, latest.get(market.marketId));
        cards.set(market.marketId, card(market));
      }
      list.replaceChildren(...[...cards.values()].map((entry) => entry.element));
      if (markets.length === 0) list.append(h("p", { class: "hint" }, "No markets on this match."));
      for (const entry of cards.values()) render(entry);
      return markets;
    },
    /** A `market.<id>` event's data (from `prices` or its snapshot). */
    apply(data) {
      const state = { status: data.status, prices: data.prices };
      if (data.winner !== undefined) state.winner = data.winner;
      latest.set(data.marketId, state);
      const entry = cards.get(data.marketId);
      if (entry === undefined) return;
      Object.assign(entry.market, state);
      render(entry);
    },
    /** The market as last seen: on the board, or only on the `prices` channel (no title then). */
    market: (marketId) => cards.get(marketId)?.market ?? latest.get(marketId),
    teams: () => (match === undefined ? undefined : teamsOf(`${match.home} v ${match.away}`)),
  };
}
