import type { JournalView } from "../../../../shared/journal/trade-journal.js";
import type { Portfolio, TradeHistoryItem } from "../../../exchange/client.js";
import { cr } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

const walletWords =
  /\b(balance|wallet|credits?|cash|money|funds?|deposits?|afford|spend|spent|ledger|rich|broke|trades?|transactions?|statement|history)\b/;
const positionWords =
  /\b(positions?|portfolio|holdings?|hold|book|p&l|p\/l|pnl|profit|loss|losses|exposure|exposed|concentrat\w*|open bets|sold everything|sell everything|cash out|equity)\b/;
const journalWords = /\b(journal|why did i|rationale|reasons?|notes?)\b/;

export const getWalletSkill: OfflineSkill = {
  tool: "getWallet",
  topic: "your balance and latest trades",
  plan(q) {
    // An order's fill reports the balance after it; reading it first adds nothing.
    return walletWords.test(q.lower) && !q.trade?.instructed ? [{}] : [];
  },
  write(findings) {
    const w = findings.at(-1)!.output as { balance: number; recentTrades: TradeHistoryItem[] };
    const trades = w.recentTrades.map(
      (t) =>
        `${t.side === "buy" ? "bought" : "sold"} ${t.shares} ${t.outcome} in ${t.marketId} for ${cr(t.cost)} (${t.at.slice(0, 10)})`,
    );
    return [
      `Your balance is ${cr(w.balance)}.` +
        (trades.length === 0
          ? " You have no trades yet."
          : ` Your latest trades, newest first: ${trades.join("; ")}.`),
    ];
  },
};

export const getPositionsSkill: OfflineSkill = {
  tool: "getPositions",
  topic: "your positions and profit and loss",
  plan(q) {
    return positionWords.test(q.lower) ? [{}] : [];
  },
  write(findings) {
    const p = findings.at(-1)!.output as Portfolio;
    const open = p.positions.filter((x) => x.status !== "settled" && x.shares > 0);
    const closed = p.positions.filter((x) => !open.includes(x));
    const t = p.totals;
    const realised = `Realised P/L from sales and settlements: ${signedCr(t.realisedPnl)}; total P/L ${signedCr(t.pnl)}.`;
    if (open.length === 0) {
      return [`You hold no open positions; your cash balance is ${cr(p.balance)}. ${realised}`];
    }
    const lines = open.map(
      (x) =>
        `${x.shares} ${x.outcome} shares of ${x.title}: average cost ${x.avgCost}, price now ${x.price}, sell-back value ${cr(x.value)} against ${cr(x.cost)} paid, unrealised ${signedCr(x.unrealisedPnl)}, realised ${signedCr(x.realisedPnl)}, pays ${cr(x.payout)} if it wins`,
    );
    const done = closed.map(
      (x) =>
        `${x.title} ${x.outcome} (${x.status === "settled" ? `settled, won by ${x.winner}` : "sold"}): realised ${signedCr(x.realisedPnl)}`,
    );
    const biggest = [...open].sort((a, b) => b.value - a.value)[0]!;
    const share = t.value === 0 ? 0 : biggest.value / t.value;
    return [
      `You hold ${plural(open.length, "position")} worth ${cr(t.value)} if you sold them back now (the sell-back quote, your own price impact included), against ${cr(t.cost)} paid: unrealised P/L ${signedCr(t.unrealisedPnl)}. ` +
        `${realised} Your cash balance is ${cr(p.balance)}, so your equity is ${cr(t.equity)}. The largest is ${biggest.title} ${biggest.outcome}, ${(share * 100).toFixed(0)}% of the book's value.`,
      lines.join("\n") + (done.length > 0 ? `\nClosed: ${done.join("; ")}.` : ""),
    ];
  },
};

export const getTradeJournalSkill: OfflineSkill = {
  tool: "getTradeJournal",
  topic: "your trade journal",
  plan(q) {
    return journalWords.test(q.lower) ? [{}] : [];
  },
  write(findings) {
    const { entries } = findings.at(-1)!.output as { entries: JournalView[] };
    if (entries.length === 0) return ["Your trade journal is empty."];
    return [
      `Your trade journal has ${plural(entries.length, "entry", "entries")}, newest first:\n` +
        entries
          .map(
            (e) =>
              `- trade ${e.tradeId}: ${e.side} ${e.shares} ${e.outcome} in ${e.marketId} for ${cr(e.cost)}. Why: ${e.rationale}`,
          )
          .join("\n"),
    ];
  },
};

function signedCr(n: number): string {
  return `${n > 0 ? "+" : ""}${cr(n)}`;
}
