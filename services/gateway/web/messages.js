import { credits } from "./dom.js";

/**
 * What the page says to a person: team names instead of outcome keys, and the protocol's error
 * codes (docs/protocol.md "Error codes") as sentences about the trade in hand. The server's
 * `message` is for client authors; it is shown only for a code this table does not know.
 */

/** The teams of a market from its title, "Home v Away: Kind". */
export function teamsOf(title = "") {
  const [home, away] = title.split(": ")[0].split(" v ");
  return { home, away };
}

/** What an outcome key means to a person (docs/protocol.md outcome keys of the three market kinds). */
export function outcomeLabel(teams, outcome) {
  const labels = {
    home: teams?.home,
    away: teams?.away,
    draw: "Draw",
    over: "Over 2.5",
    under: "Under 2.5",
    yes: "Both score",
    no: "Not both score",
  };
  return labels[outcome] ?? outcome.charAt(0).toUpperCase() + outcome.slice(1);
}

/**
 * A refused quote or trade. `order` is {side, shares, outcome}; `context` has the market's
 * `teams`, the `held` shares of that outcome and the `balance`.
 */
export function tradeError(error, order, context = {}) {
  const what = outcomeLabel(context.teams, order.outcome);
  // The client library's own failures (shared/client/README.md "Errors") carry no code.
  if (error.name === "RequestTimeoutError") {
    return error.frameType === "trade"
      ? "No answer from the exchange: the trade may have filled. Check your positions before trying again."
      : "No answer from the exchange. Try again.";
  }
  if (error.name === "ClientClosedError") return "Not connected: wait until the desk is back online.";
  switch (error.code) {
    case "insufficient_funds":
      return `Not enough credits: your balance is ${credits(context.balance ?? 0)}.`;
    case "price_moved":
      return "The price moved beyond your slippage tolerance. Quote again, or allow more slippage.";
    case "market_closed":
      return "This market is not taking trades now (suspended after a goal, decided or settled).";
    case "invalid_shares":
      return order.side === "sell"
        ? `You hold ${context.held ?? 0} shares of ${what}: sell at most that many.`
        : "Shares must be more than 0, with at most 2 decimals, and within what this market can sell.";
    case "invalid_market":
    case "invalid_outcome":
    case "not_found":
      return "This market or outcome no longer exists.";
    case "rate_limited":
      return `Too many trades at once: try again in ${Math.ceil((error.retryAfterMs ?? 1000) / 1000)} s.`;
    case "unavailable":
      return "Not connected: wait until the desk is back online.";
    default:
      return error.message;
  }
}

/** Why a market is not open, for the bet slip. */
export function statusReason(status, teams) {
  if (status === "suspended") {
    return `Suspended: something just happened in ${teams.home} v ${teams.away} (a goal). Trading resumes when the market reopens; your slip will re-quote then.`;
  }
  if (status === "closed") return "Closed: the outcome is decided, it is waiting to be settled.";
  if (status === "settled") return "Settled: this market has paid out.";
  return "";
}
