import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { valuePortfolio } from "./portfolio.js";
import { buy, type LmsrState, openLmsr, prices, sell } from "./pricing/lmsr.js";
import type { HoldingRecord, MarketRecord } from "./store/store.js";

const outcomes = ["over", "under"];

function market(lmsr: LmsrState, status: MarketRecord["status"] = "open", winner?: string): MarketRecord {
  return {
    id: "m.ou25",
    matchId: "m",
    kind: "ou25",
    title: "A v B: Total goals over/under 2.5",
    outcomes,
    status,
    ...(winner === undefined ? {} : { winner }),
    lmsr,
    subsidyCents: 0,
    escrowCents: 0,
    openedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** A market where this user bought `mine` hundredths of over, then others bought `others` more. */
function bought(mine: number, others: number) {
  const opened = openLmsr(50, [0.4, 0.6]);
  const first = buy(opened, 0, mine);
  return { cost: first.cents, lmsr: others > 0 ? buy(first.after, 0, others).after : first.after };
}

function holding(m: MarketRecord, h: Partial<HoldingRecord> & { hundredths: number; costCents: number }) {
  return { marketId: m.id, outcome: "over", boughtCents: h.costCents, soldCents: 0, market: m, ...h };
}

describe("portfolio valuation", () => {
  test("a position is worth its sell-back quote, price impact included, and gains as the price rises", () => {
    const { cost, lmsr } = bought(8000, 0);
    const flat = valuePortfolio(10_000, [holding(market(lmsr), { hundredths: 8000, costCents: cost })]);
    const [p] = flat.positions;
    assert.ok(p);
    const sellBack = sell(lmsr, 0, 8000).cents / 100;
    assert.equal(p.value, sellBack);
    assert.ok(p.value < p.shares * (prices(lmsr)[0] ?? 0), "selling 80 shares moves the price down");
    assert.equal(p.unrealisedPnl, Math.round((sellBack - cost / 100) * 100) / 100);
    assert.ok(p.unrealisedPnl <= 0, "buying then selling at once never gains");

    const risen = bought(8000, 20_000);
    const later = valuePortfolio(10_000, [
      holding(market(risen.lmsr), { hundredths: 8000, costCents: cost }),
    ]);
    const [q] = later.positions;
    assert.ok(q && q.price > p.price && q.unrealisedPnl > 0, `P&L after others bought: ${q?.unrealisedPnl}`);
    assert.deepEqual(later.totals, {
      cost: cost / 100,
      value: q.value,
      unrealisedPnl: q.unrealisedPnl,
      realisedPnl: 0,
      pnl: q.unrealisedPnl,
      equity: Math.round(10_000 + q.value * 100) / 100,
    });
  });

  test("a sell realises what it fetched above the cost of the shares sold", () => {
    // Bought 100 shares for 4000 cents, sold 40 for 2200: 40 % of the cost (1600) went with them.
    const { lmsr } = bought(6000, 0);
    const [p] = valuePortfolio(0, [
      holding(market(lmsr), { hundredths: 6000, costCents: 2400, boughtCents: 4000, soldCents: 2200 }),
    ]).positions;
    assert.equal(p?.realisedPnl, 6);
    assert.equal(p?.avgCost, 0.4);
  });

  test("a sold-out holding keeps its realised P&L and is worth nothing", () => {
    const { lmsr } = bought(1000, 0);
    const portfolio = valuePortfolio(500, [
      holding(market(lmsr), { hundredths: 0, costCents: 0, boughtCents: 3000, soldCents: 2500 }),
    ]);
    assert.deepEqual(
      [portfolio.positions[0]?.value, portfolio.positions[0]?.realisedPnl, portfolio.totals.pnl],
      [0, -5, -5],
    );
  });

  test("a settled position stays listed with its winner and payout, its P&L realised", () => {
    const { lmsr } = bought(5000, 0);
    const won = valuePortfolio(0, [
      holding(market(lmsr, "settled", "over"), { hundredths: 5000, costCents: 2100 }),
    ]);
    assert.deepEqual(
      [won.positions[0]?.status, won.positions[0]?.winner, won.positions[0]?.payout, won.positions[0]?.value],
      ["settled", "over", 50, 0],
    );
    assert.deepEqual(
      [won.positions[0]?.realisedPnl, won.positions[0]?.unrealisedPnl, won.totals.cost, won.totals.pnl],
      [29, 0, 0, 29],
    );
    const lost = valuePortfolio(0, [
      holding(market(lmsr, "settled", "under"), { hundredths: 5000, costCents: 2100 }),
    ]);
    assert.deepEqual([lost.positions[0]?.payout, lost.positions[0]?.realisedPnl], [0, -21]);
  });
});
