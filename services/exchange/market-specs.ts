import type { Config } from "../../shared/config.js";
import type { Dataset } from "../../shared/epl/dataset.js";
import { type MarketKind, marketId, marketKinds, marketPrices } from "../../shared/epl/markets.js";
import type { Model } from "../../shared/epl/model.js";
import type { MarketSpec } from "./store/store.js";

export type Liquidity = Record<MarketKind, number>;

export function liquidityFrom(
  config: Pick<Config, "liquidityMatchResult" | "liquidityOverUnder" | "liquidityBtts">,
): Liquidity {
  return { "1x2": config.liquidityMatchResult, ou25: config.liquidityOverUnder, btts: config.liquidityBtts };
}

/** One market of each kind for every fixture not yet finished, at the model's prices. */
export function marketSpecs(
  dataset: Dataset,
  model: Model,
  liquidity: Liquidity,
  matchIds?: readonly string[],
): MarketSpec[] {
  const wanted = matchIds && new Set(matchIds);
  const specs: MarketSpec[] = [];
  for (const match of dataset.matches) {
    if (match.status === "finished" || (wanted && !wanted.has(match.id))) continue;
    const probabilities = model.predict(match.home, match.away);
    for (const kind of Object.keys(marketKinds) as MarketKind[]) {
      const { outcomes, title } = marketKinds[kind];
      const p = marketPrices(kind, probabilities);
      specs.push({
        id: marketId(match.id, kind),
        matchId: match.id,
        kind,
        title: `${match.home} v ${match.away}: ${title}`,
        outcomes,
        prices: outcomes.map((o) => p[o] ?? 0),
        liquidity: liquidity[kind],
      });
    }
  }
  return specs;
}
