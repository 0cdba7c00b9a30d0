import type { Config } from "../../shared/config.js";
import { type Dataset, loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import { priceAlertDeliveries } from "../../shared/journal/alert-book.js";
import { traced } from "../../shared/telemetry/spans.js";
import type { Exchange, ExchangeEvent } from "./exchange-interface.js";
import { liquidityFrom, marketSpecs } from "./market-specs.js";
import { creditsToCents, perShare, sharesToHundredths, toCredits, toPrice } from "./money.js";
import { valuePortfolio } from "./portfolio.js";
import { prices } from "./pricing/lmsr.js";
import { priceTrade } from "./pricing/price-trade.js";
import { type ExchangeMethod, parseInput } from "./schemas.js";
import type { MarketRecord, Store } from "./store/store.js";
import {
  type MarketView,
  marketView,
  priceMap,
  settlementHistoryItem,
  tradeHistoryItem,
  tradeResult,
} from "./views.js";

export interface ExchangeOptions {
  store: Store;
  config: Pick<Config, "startingBalance" | "liquidityMatchResult" | "liquidityOverUnder" | "liquidityBtts">;
  publish?: (event: ExchangeEvent) => void;
  /** The fixtures and results markets are opened from (default: the shipped EPL data). */
  dataset?: Dataset;
}

/** Users known to exist, so that funding costs a query only on a user's first request here. */
const knownUsersMax = 100_000;
const knownMarketsMax = 10_000;

export function createExchange(options: ExchangeOptions): Exchange {
  const { store } = options;
  const publish = options.publish ?? (() => {});
  const startingCents = creditsToCents(options.config.startingBalance, "startingBalance");
  const knownUsers = new Set<string>();

  async function ensureUser(userId: string): Promise<void> {
    if (knownUsers.has(userId)) return;
    await store.ensureUser(userId, startingCents);
    if (knownUsers.size >= knownUsersMax) knownUsers.clear();
    knownUsers.add(userId);
  }

  /** A market's outcomes never change: read once per market, not once per trade. */
  const outcomesByMarket = new Map<string, string[]>();
  async function outcomesOf(marketId: string): Promise<string[] | undefined> {
    const known = outcomesByMarket.get(marketId);
    if (known) return known;
    const market = await store.market(marketId);
    if (!market) return undefined;
    if (outcomesByMarket.size >= knownMarketsMax) outcomesByMarket.clear();
    outcomesByMarket.set(marketId, market.outcomes);
    return market.outcomes;
  }

  async function requireMarket(
    marketId: string,
    code: "invalid_market" | "not_found",
  ): Promise<MarketRecord> {
    const market = await store.market(marketId);
    if (!market) throw new AppError(code, `no market ${marketId}`);
    return market;
  }

  function marketEvent(
    m: { id: string; outcomes: string[]; status: MarketView["status"]; winner?: string },
    p: number[],
  ) {
    const event: ExchangeEvent = {
      kind: "market",
      marketId: m.id,
      status: m.status,
      prices: priceMap(m.outcomes, p),
    };
    if (m.winner !== undefined) event.winner = m.winner;
    publish(event);
  }

  const methods: Exchange = {
    async quote(input) {
      const { marketId, outcome, side } = parseInput("quote", input);
      const hundredths = sharesToHundredths(input.shares);
      const market = await requireMarket(marketId, "invalid_market");
      const fill = priceTrade(market, { outcome, side, hundredths });
      return {
        marketId,
        outcome,
        side,
        shares: toCredits(hundredths),
        cost: toCredits(fill.cents),
        avgPrice: perShare(fill.cents, hundredths),
        priceAfter: toPrice(prices(fill.after)[fill.index] ?? 0),
      };
    },

    // A span of its own: in embedded mode no RPC server span stands for the exchange's part.
    trade(input) {
      return traced("trade", {}, async () => {
        const request = parseInput("trade", input);
        const hundredths = sharesToHundredths(request.shares);
        const maxCostCents =
          request.maxCost === undefined ? undefined : creditsToCents(request.maxCost, "maxCost");
        const minProceedsCents =
          request.minProceeds === undefined ? undefined : creditsToCents(request.minProceeds, "minProceeds");
        await ensureUser(request.userId);
        const record = await store.trade({
          userId: request.userId,
          marketId: request.marketId,
          outcome: request.outcome,
          side: request.side,
          hundredths,
          ...(maxCostCents === undefined ? {} : { maxCostCents }),
          ...(minProceedsCents === undefined ? {} : { minProceedsCents }),
          ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
        });
        const result = tradeResult(record);
        if (!record.replayed && options.publish !== undefined) {
          publish({ kind: "fill", userId: record.userId, trade: result });
          publish({ kind: "balance", userId: record.userId, balance: result.balance });
          // The trade filled, so the market was open; the prices after it come with the record, and
          // the alerts they reached were fired with the trade.
          const outcomes = await outcomesOf(record.marketId);
          if (outcomes) {
            const prices = priceMap(outcomes, record.prices);
            publish({ kind: "market", marketId: record.marketId, status: "open", prices, byTrade: true });
            for (const d of priceAlertDeliveries(record.marketId, prices, record.firedAlerts ?? []))
              publish({ kind: "alert", userId: d.userId, alert: d.data });
          }
        }
        return result;
      });
    },

    async settle(input) {
      const { marketId, winner } = parseInput("settle", input);
      const settled = await store.settle(marketId, winner);
      if (!settled.alreadySettled) {
        for (const h of settled.holders) {
          publish({
            kind: "settlement",
            userId: h.userId,
            marketId,
            winner: settled.winner,
            payout: toCredits(h.payoutCents),
            balance: toCredits(h.balanceCents),
          });
        }
        const market = await store.market(marketId);
        if (market) marketEvent(market, prices(market.lmsr));
      }
      return {
        marketId,
        winner: settled.winner,
        paid: toCredits(settled.paidCents),
        alreadySettled: settled.alreadySettled,
      };
    },

    async setMarketStatus(input) {
      const { marketId, status } = parseInput("setMarketStatus", input);
      const market = await store.setMarketStatus(marketId, status);
      marketEvent(market, prices(market.lmsr));
      return marketView(market);
    },

    async reprice(input) {
      const { marketId, prices: target } = parseInput("reprice", input);
      const market = await requireMarket(marketId, "invalid_market");
      for (const outcome of Object.keys(target)) {
        if (!market.outcomes.includes(outcome))
          throw new AppError("invalid_outcome", `${marketId} has no outcome ${outcome}`);
      }
      const missing = market.outcomes.find((o) => target[o] === undefined);
      if (missing !== undefined) throw new AppError("bad_request", `reprice: no price for ${missing}`);
      const repriced = await store.reprice(
        marketId,
        market.outcomes.map((o) => target[o] ?? 0),
      );
      marketEvent(repriced, prices(repriced.lmsr));
      return marketView(repriced);
    },

    async deposit(input) {
      const { userId, idempotencyKey } = parseInput("deposit", input);
      const cents = creditsToCents(input.amount, "amount");
      if (cents === 0) throw new AppError("bad_request", "amount must be above 0");
      await ensureUser(userId);
      const record = await store.deposit({
        userId,
        cents,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      const balance = toCredits(record.balanceCents);
      if (!record.replayed) publish({ kind: "balance", userId, balance });
      return { balance };
    },

    async openMarkets(input) {
      const { matchIds } = parseInput("openMarkets", input);
      const dataset = options.dataset ?? loadDataset();
      const specs = marketSpecs(dataset, fitModel(dataset), liquidityFrom(options.config), matchIds);
      let opened = 0;
      for (const spec of specs) {
        const { created, market } = await store.openMarket(spec);
        if (!created) continue;
        opened++;
        marketEvent(market, prices(market.lmsr));
      }
      return { opened, existing: specs.length - opened };
    },

    async getWallet(input) {
      const { userId } = parseInput("getWallet", input);
      await ensureUser(userId);
      return { balance: toCredits((await store.balance(userId)) ?? 0), currency: "credits" };
    },

    async getPositions(input) {
      const { userId } = parseInput("getPositions", input);
      const held = await store.positions(userId);
      return held.map((p) => {
        const index = p.market.outcomes.indexOf(p.outcome);
        return {
          marketId: p.marketId,
          outcome: p.outcome,
          shares: toCredits(p.hundredths),
          avgCost: perShare(p.costCents, p.hundredths),
          price: toPrice(prices(p.market.lmsr)[index] ?? 0),
          payout: toCredits(p.hundredths),
        };
      });
    },

    async getPortfolio(input) {
      const { userId } = parseInput("getPortfolio", input);
      await ensureUser(userId);
      const [balance, holdings] = await Promise.all([store.balance(userId), store.holdings(userId)]);
      return valuePortfolio(balance ?? 0, holdings);
    },

    async getTrades(input) {
      const { userId, limit } = parseInput("getTrades", input);
      return (await store.trades(userId, limit ?? 100)).map(tradeHistoryItem);
    },

    async getSettlements(input) {
      const { userId, limit } = parseInput("getSettlements", input);
      return (await store.settlements(userId, limit ?? 100)).map(settlementHistoryItem);
    },

    async listMarkets(input) {
      const filter = parseInput("listMarkets", input);
      return (await store.markets(filter)).map(marketView);
    },

    async getMarket(input) {
      const { marketId } = parseInput("getMarket", input);
      return marketView(await requireMarket(marketId, "not_found"));
    },

    async priceHistory(input) {
      const { marketId, limit } = parseInput("priceHistory", input);
      const market = await requireMarket(marketId, "not_found");
      const points = await store.priceHistory(marketId, limit ?? 500);
      return points.map((p) => ({ at: p.at, prices: priceMap(market.outcomes, p.prices) }));
    },
  };
  return methods satisfies Record<ExchangeMethod, unknown>;
}
