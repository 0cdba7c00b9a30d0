import type { MarketKind } from "../../../../shared/epl/markets.js";

/** A trade the user's words describe: what to back and how much. */
export interface TradeAsk {
  side: "buy" | "sell";
  shares?: number;
  /** Credits to spend (buys). */
  stake?: number;
  /** A market outcome, or the team to back in the 1X2 market (home or away, once the fixture is known). */
  target: { kind: MarketKind; outcome: string } | { team: string };
  /** An order ("buy 10 shares of …"), not a question about one ("should I buy …?"). */
  instructed: boolean;
}

const amount = String.raw`(\d{1,7}(?:\.\d{1,2})?)`;

/**
 * Reads a trade from text: a side (buy, back, bet, stake … on: buy; sell), an amount (`10 shares`,
 * `20 credits`, `a stake of 20`) and a target (over/under 2.5, both teams to score, the draw, home
 * or away, else the first team named). Undefined without an amount or a target.
 */
export function readTradeAsk(lower: string, teams: readonly string[]): TradeAsk | undefined {
  const shares = new RegExp(`${amount}\\s*shares?\\b`).exec(lower);
  const stake =
    new RegExp(`${amount}\\s*(?:credits?|cr)\\b`).exec(lower) ??
    new RegExp(`\\bstake (?:of )?${amount}\\b`).exec(lower);
  if (!shares && !stake) return undefined;
  const target = readTarget(lower, teams);
  if (!target) return undefined;
  const side = /\bsell\b/.test(lower) ? "sell" : "buy";
  const question =
    /\?\s*$/.test(lower) || /^\s*(should|would|could|can|is|are|what|how|do|does|will)\b/.test(lower);
  const ask: TradeAsk = {
    side,
    target,
    instructed: !question && /\b(buy|back|sell|bet|stake|put|place)\b/.test(lower),
  };
  if (shares) ask.shares = Number(shares[1]);
  else if (stake) ask.stake = Number(stake[1]);
  return ask;
}

export function readTarget(lower: string, teams: readonly string[]): TradeAsk["target"] | undefined {
  if (/\b(both teams (to )?score|btts)\b/.test(lower)) {
    return {
      kind: "btts",
      outcome: /\b(not|no|won't)\b[^.]*\b(both teams|btts)|\bbtts no\b/.test(lower) ? "no" : "yes",
    };
  }
  if (/\bover (2\.5|two and a half)\b/.test(lower)) return { kind: "ou25", outcome: "over" };
  if (/\bunder (2\.5|two and a half)\b/.test(lower)) return { kind: "ou25", outcome: "under" };
  if (/\b(the )?draw\b/.test(lower)) return { kind: "1x2", outcome: "draw" };
  if (/\b(the )?home( win| side)?\b/.test(lower) && !/\bat home\b/.test(lower))
    return { kind: "1x2", outcome: "home" };
  if (/\b(the )?away( win| side)?\b/.test(lower) && !/\baway (from|at)\b/.test(lower))
    return { kind: "1x2", outcome: "away" };
  const team = teams[0];
  return team === undefined ? undefined : { team };
}
