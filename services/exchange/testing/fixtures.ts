import type { ExchangeOptions } from "../exchange.js";
import type { BooksReport } from "../store/store.js";

/** The exchange settings every test uses: the config defaults, written out so a test reads them. */
export const exchangeTestConfig: ExchangeOptions["config"] = {
  startingBalance: 1000,
  liquidityMatchResult: 250,
  liquidityOverUnder: 200,
  liquidityBtts: 200,
};

/** `checkBooks()` of books that balance: what every money test asserts after it moved money. */
export const balancedBooks: BooksReport = {
  ledgerSumCents: 0,
  accountsOffLedger: 0,
  negativeBalances: 0,
  underfundedMarkets: [],
  positionsOffTrades: 0,
};
