import { byId, credits, price } from "./dom.js";
import { outcomeLabel, statusReason, teamsOf, tradeError } from "./messages.js";

/** A slip whose market moved is quoted again after this pause, so a burst of moves costs one quote. */
const requoteAfterMs = 250;

/** Cents, rounded toward the trader's protection: a buy's ceiling up, a sell's floor down. */
const ceilCents = (n) => Math.ceil(n * 100 - 1e-6) / 100;
const floorCents = (n) => Math.floor(n * 100 + 1e-6) / 100;

/**
 * The bet slip: a chosen outcome, a side and a number of shares, quoted at once and again whenever
 * its market's prices move. A trade is sent with the quote widened by the chosen slippage as its
 * limit (`maxCost` for a buy, `minProceeds` for a sell), so a small move still fills and a bigger
 * one is refused (`price_moved`) rather than filled worse than the user allowed. Confirm is enabled
 * only for a fresh quote, an open market, a live connection and (buying) a cost within the balance.
 * @param {{ client, market(marketId): object|undefined, balance(): number, held(marketId, outcome): number, notify(text: string, kind?: string): void }} deps
 */
export function createBetSlip({ client, market, balance, held, notify }) {
  const ticket = byId("ticket");
  const shares = byId("shares");
  const slippage = byId("slippage");
  const quoteButton = byId("quote-button");
  const quoteLine = byId("quote");
  const note = byId("slip-note");
  const confirm = byId("confirm");
  const result = byId("trade-result");
  let choice;
  /** The quote shown: the order it answers and its `cost`. */
  let quote;
  let quoting = 0;
  let requoteTimer;
  let online = false;

  const side = () => new FormData(ticket).get("side");
  const order = () => ({ ...choice, side: side(), shares: Number(shares.value) });
  const teamsFor = (marketId) => teamsOf(market(marketId)?.title);
  const teams = () => teamsFor(choice?.marketId);

  function limitOf(q) {
    const slip = Number(slippage.value);
    return q.side === "buy"
      ? { maxCost: ceilCents(q.cost * (1 + slip)) }
      : { minProceeds: floorCents(q.cost * (1 - slip)) };
  }

  /** Why Confirm is off right now, or "" when it may be pressed. */
  function blocker() {
    const m = market(choice?.marketId);
    if (!online) return "Reconnecting: trading resumes when the desk is back online.";
    if (m !== undefined && m.status !== "open") return statusReason(m.status, teams());
    if (quote === undefined) return "";
    if (quote.side === "buy" && quote.cost > balance()) {
      return `Costs more than your balance of ${credits(balance())} credits.`;
    }
    if (quote.side === "sell" && quote.shares > held(quote.marketId, quote.outcome)) {
      return `You hold ${held(quote.marketId, quote.outcome)} shares of ${outcomeLabel(teams(), quote.outcome)}.`;
    }
    return "";
  }

  /** A decided market never trades again (a suspended one reopens): nothing to quote. */
  const decided = () => ["closed", "settled"].includes(market(choice?.marketId)?.status);

  function renderState() {
    const why = blocker();
    note.textContent = why;
    confirm.disabled = quote === undefined || why !== "";
    quoteButton.disabled = !online || decided();
  }

  function showQuote(answer) {
    const label = outcomeLabel(teams(), answer.outcome);
    if (answer.side === "buy") {
      const payout = answer.shares;
      quoteLine.textContent = `${answer.shares} shares cost ${credits(answer.cost)} credits (avg ${price(answer.avgPrice)}). Pays ${credits(payout)} if ${label} wins: profit ${credits(payout - answer.cost)}.`;
    } else {
      quoteLine.textContent = `Selling ${answer.shares} shares pays ${credits(answer.cost)} credits (avg ${price(answer.avgPrice)}).`;
    }
    confirm.textContent = `${answer.side === "buy" ? "Buy" : "Sell"} ${answer.shares} for ${credits(answer.cost)}`;
  }

  function clearQuote() {
    quote = undefined;
    quoteLine.textContent = "";
    quoteLine.classList.remove("busy");
    confirm.textContent = "Confirm";
    renderState();
  }

  async function requestQuote() {
    if (choice === undefined || decided() || !ticket.reportValidity()) return;
    const wanted = order();
    const mine = ++quoting;
    quoteLine.classList.add("busy");
    if (quote === undefined) quoteLine.textContent = "Quoting…";
    try {
      const answer = await client.quote(wanted);
      if (mine !== quoting) return;
      quote = { ...wanted, cost: answer.cost, shares: answer.shares };
      showQuote(answer);
    } catch (err) {
      if (mine !== quoting) return;
      quote = undefined;
      // Decided while the quote was asked: the note says so, no refusal to explain.
      quoteLine.textContent = decided()
        ? ""
        : tradeError(err, wanted, {
            teams: teams(),
            held: held(wanted.marketId, wanted.outcome),
            balance: balance(),
          });
    } finally {
      if (mine === quoting) quoteLine.classList.remove("busy");
      renderState();
    }
  }

  /** Sends `q` with its slippage limit; the answer as one human sentence and whether it filled. */
  async function send(q, marketTeams = teamsFor(q.marketId)) {
    const { cost, ...rest } = q;
    try {
      const t = await client.trade({ ...rest, ...limitOf(q) });
      const verb = t.side === "buy" ? "Bought" : "Sold";
      return {
        ok: true,
        text: `Filled: ${verb} ${t.shares} ${outcomeLabel(marketTeams, t.outcome)} at ${price(t.avgPrice)} for ${credits(t.cost)} credits.`,
      };
    } catch (err) {
      // A refusal (`trade.rejected` or `error`) comes as a ProtocolError with its code.
      const context = { teams: marketTeams, held: held(q.marketId, q.outcome), balance: balance() };
      return { ok: false, text: tradeError(err, q, context) };
    }
  }

  async function trade() {
    const q = quote;
    clearQuote();
    result.className = "";
    result.textContent = "Sending…";
    const outcome = await send(q);
    result.textContent = outcome.text;
    result.className = outcome.ok ? "ok" : "error";
  }

  ticket.addEventListener("submit", (event) => {
    event.preventDefault();
    result.textContent = "";
    clearQuote();
    requestQuote();
  });
  ticket.addEventListener("input", (event) => {
    if (event.target === slippage) return renderState();
    clearQuote();
  });
  confirm.addEventListener("click", trade);

  return {
    /** Puts an outcome on the slip and quotes it. */
    choose(marketId, outcome) {
      choice = { marketId, outcome };
      const m = market(marketId);
      byId("ticket-title").textContent =
        `${outcomeLabel(teamsOf(m?.title), outcome)} — ${m?.title ?? marketId}`;
      ticket.hidden = false;
      result.textContent = "";
      clearQuote();
      shares.focus();
      requestQuote();
    },
    hide() {
      choice = undefined;
      ticket.hidden = true;
      clearQuote();
    },
    /** The market on the slip moved or changed status: re-quote it, or say why it cannot trade. */
    marketChanged(marketId) {
      if (choice?.marketId !== marketId) return;
      // A quote of a decided market is no offer any more: it goes, and the note says why.
      if (decided()) {
        clearTimeout(requoteTimer);
        quoting += 1;
        if (quote !== undefined || quoteLine.textContent !== "") clearQuote();
      }
      renderState();
      if (market(marketId)?.status !== "open" || quote === undefined) return;
      clearTimeout(requoteTimer);
      requoteTimer = setTimeout(requestQuote, requoteAfterMs);
    },
    /** Balance or holdings changed: Confirm may be allowed or refused now. */
    walletChanged: () => renderState(),
    setOnline(value) {
      online = value;
      renderState();
    },
    /** Sells all shares of a position at its quote less the slippage: one click, one trade. */
    async close(position) {
      const sale = {
        marketId: position.marketId,
        outcome: position.outcome,
        side: "sell",
        shares: position.shares,
      };
      let answer;
      try {
        answer = await client.quote(sale);
      } catch (err) {
        notify(tradeError(err, sale, { teams: teamsOf(position.title), held: position.shares }), "error");
        return;
      }
      const outcome = await send({ ...sale, cost: answer.cost }, teamsOf(position.title));
      notify(outcome.text, outcome.ok ? "info" : "error");
    },
  };
}
