import { api, byId, credits, flash, h, price } from "./dom.js";

const statusLabels = { open: "Open", suspended: "Suspended", closed: "Closed", settled: "Settled" };

/** What an outcome key means to a person (docs/protocol.md outcome keys of the three market kinds). */
export function outcomeLabel(match, outcome) {
  const labels = { home: match?.home, away: match?.away, draw: "Draw", over: "Over 2.5", under: "Under 2.5" };
  return labels[outcome] ?? outcome.charAt(0).toUpperCase() + outcome.slice(1);
}

/**
 * The markets of the selected match and the trade ticket. Prices and status follow the
 * `prices` channel; a trade is always quoted first and sent with the quote as its limit
 * (`maxCost` for a buy, `minProceeds` for a sell), so a price that moved in between is
 * refused (`price_moved`) rather than filled worse than the user saw.
 * @param {{ client: ReturnType<import("./protocol-client.js").createProtocolClient>, onFilled(trade): void }} deps
 */
export function createTradePanel({ client, onFilled }) {
  const list = byId("market-list");
  const ticket = byId("ticket");
  const shares = byId("shares");
  const quoteLine = byId("quote");
  const confirm = byId("confirm");
  const result = byId("trade-result");
  /** The latest {status, prices} of every market seen on `prices`, shown or not. */
  const latest = new Map();
  /** marketId → { market, card, badge, outcomes: Map(outcome → {button, priceText}) } of the match shown. */
  const cards = new Map();
  let match;
  let choice;
  let quote;

  function card(market) {
    const badge = h("span", { class: "badge" });
    const outcomes = new Map();
    const buttons = market.outcomes.map((outcome) => {
      const priceText = h("span", { class: "price" });
      const button = h(
        "button",
        { type: "button", class: "outcome", "aria-pressed": "false", onclick: () => choose(market, outcome) },
        h("span", {}, outcomeLabel(match, outcome)),
        priceText,
      );
      outcomes.set(outcome, { button, priceText });
      return button;
    });
    const title = market.title.slice(market.title.indexOf(": ") + 2);
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
    badge.textContent = statusLabels[market.status] ?? market.status;
    element.dataset.status = market.status;
    for (const [outcome, { button, priceText }] of outcomes) {
      const before = priceText.textContent;
      priceText.textContent = price(market.prices[outcome] ?? 0);
      if (before !== "" && before !== priceText.textContent) flash(priceText, "moved");
      button.disabled = market.status !== "open";
    }
  }

  function choose(market, outcome) {
    for (const entry of cards.values()) {
      for (const [key, { button }] of entry.outcomes) {
        button.setAttribute("aria-pressed", String(entry.market === market && key === outcome));
      }
    }
    choice = { marketId: market.marketId, outcome };
    byId("ticket-title").textContent = `${outcomeLabel(match, outcome)} — ${market.title}`;
    ticket.hidden = false;
    resetQuote();
    shares.focus();
  }

  function side() {
    return new FormData(ticket).get("side");
  }

  function resetQuote() {
    quote = undefined;
    quoteLine.textContent = "";
    confirm.disabled = true;
    confirm.textContent = "Confirm";
  }

  async function requestQuote(event) {
    event.preventDefault();
    resetQuote();
    result.textContent = "";
    const order = { ...choice, side: side(), shares: Number(shares.value) };
    try {
      const answer = await client.quote(order);
      quote = order;
      quote.limit = answer.cost;
      const verb = order.side === "buy" ? "cost" : "pay";
      quoteLine.textContent = `${answer.shares} shares ${verb} ${credits(answer.cost)} credits (avg ${price(answer.avgPrice)}, price after ${price(answer.priceAfter)})`;
      confirm.textContent = `${order.side === "buy" ? "Buy" : "Sell"} ${answer.shares} for ${credits(answer.cost)}`;
      confirm.disabled = cards.get(order.marketId)?.market.status !== "open";
    } catch (err) {
      quoteLine.textContent = err.message;
    }
  }

  async function trade() {
    const { limit, ...order } = quote;
    resetQuote();
    result.className = "";
    result.textContent = "Sending…";
    const bound = order.side === "buy" ? { maxCost: limit } : { minProceeds: limit };
    try {
      const answer = await client.trade({ ...order, ...bound });
      if (answer.type === "trade.filled") {
        const t = answer.trade;
        const verb = t.side === "buy" ? "Bought" : "Sold";
        result.textContent = `Filled: ${verb} ${t.shares} ${outcomeLabel(match, t.outcome)} at ${price(t.avgPrice)} for ${credits(t.cost)} credits.`;
        result.className = "ok";
        onFilled(t);
      } else {
        result.textContent = `Rejected (${answer.code}): ${answer.message}`;
        result.className = "error";
      }
    } catch (err) {
      result.textContent = err.message;
      result.className = "error";
    }
  }

  ticket.addEventListener("submit", requestQuote);
  ticket.addEventListener("input", resetQuote);
  confirm.addEventListener("click", trade);

  return {
    /** Loads the markets of `selected` (a match of the fixtures panel). */
    async show(selected) {
      match = selected;
      choice = undefined;
      ticket.hidden = true;
      cards.clear();
      byId("markets-title").textContent = `Markets — ${selected.home} v ${selected.away}`;
      list.replaceChildren(h("p", { class: "hint" }, "Loading markets…"));
      const { markets } = await api(`/api/markets?matchId=${encodeURIComponent(selected.matchId)}`);
      if (match !== selected) return;
      for (const market of markets) {
        Object.assign(market, latest.get(market.marketId));
        cards.set(market.marketId, card(market));
      }
      list.replaceChildren(...[...cards.values()].map((entry) => entry.element));
      if (markets.length === 0) list.append(h("p", { class: "hint" }, "No markets on this match."));
      for (const entry of cards.values()) render(entry);
    },
    /** A `market.<id>` event's data (from `prices` or its snapshot). */
    apply(data) {
      latest.set(data.marketId, { status: data.status, prices: data.prices });
      const entry = cards.get(data.marketId);
      if (entry === undefined) return;
      entry.market.status = data.status;
      entry.market.prices = data.prices;
      render(entry);
      if (quote?.marketId === data.marketId && data.status !== "open") resetQuote();
    },
    priceOf: (marketId, outcome) => latest.get(marketId)?.prices[outcome],
    titleOf: (marketId) => cards.get(marketId)?.market.title,
  };
}
