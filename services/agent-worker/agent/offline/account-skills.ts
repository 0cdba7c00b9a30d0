import type { JournalView } from "../../../../shared/journal/trade-journal.js";
import type { PositionView, TradeHistoryItem } from "../../../exchange/views.js";
import { cr } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

const walletWords =
  /\b(balance|wallet|credits?|cash|money|funds?|deposits?|afford|spend|ledger|rich|broke)\b/;
const positionWords =
  /\b(positions?|portfolio|holdings?|hold|book|p&l|p\/l|pnl|profit|loss|losses|exposure|exposed|concentrat\w*|open bets)\b/;
const journalWords = /\b(journal|why did i|rationale|reasons?|notes?)\b/;

type PositionLine = PositionView & { title: string; cost: number; value: number; pnl: number };

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
    const p = findings.at(-1)!.output as {
      balance: number;
      positions: PositionLine[];
      totals: { cost: number; value: number; pnl: number; payout: number };
    };
    if (p.positions.length === 0)
      return [`You hold no open positions; your cash balance is ${cr(p.balance)}.`];
    const lines = p.positions.map(
      (x) =>
        `${x.shares} ${x.outcome} shares of ${x.title}: average cost ${x.avgCost}, price now ${x.price}, cost ${cr(x.cost)}, value ${cr(x.value)}, P/L ${signedCr(x.pnl)}, pays ${cr(x.payout)} if it wins`,
    );
    const biggest = [...p.positions].sort((a, b) => b.value - a.value)[0]!;
    const share = p.totals.value === 0 ? 0 : biggest.value / p.totals.value;
    return [
      `You hold ${plural(p.positions.length, "position")} worth ${cr(p.totals.value)} at current prices against ${cr(p.totals.cost)} paid: P/L ${signedCr(p.totals.pnl)}. ` +
        `Your cash balance is ${cr(p.balance)}. The largest is ${biggest.title} ${biggest.outcome}, ${(share * 100).toFixed(0)}% of the book's value.`,
      lines.join("\n"),
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
