import type { MarketRecord } from "../store.js";

/** What pricing needs of a market, at one version (`xmin`) of its row. */
export interface MarketVersion {
  market: Pick<MarketRecord, "id" | "outcomes" | "status" | "lmsr">;
  version: string;
}
