import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buy, costCents, type LmsrState, openLmsr, prices, sell, worstCaseLossCents } from "./lmsr.js";

/** Deterministic pseudo-random numbers so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomMarket(rand: () => number): LmsrState {
  const n = rand() < 0.5 ? 2 : 3;
  const weights = Array.from({ length: n }, () => 0.05 + rand());
  let state = openLmsr(20 + rand() * 500, weights);
  for (let k = 0; k < 10; k++)
    state = buy(state, Math.floor(rand() * n), 1 + Math.floor(rand() * 20000)).after;
  return state;
}

describe("LMSR", () => {
  test("opens at the given prices, and prices always sum to 1", () => {
    const state = openLmsr(100, [0.5, 0.3, 0.2]);
    const p = prices(state);
    assert.deepEqual(
      p.map((x) => x.toFixed(12)),
      ["0.500000000000", "0.300000000000", "0.200000000000"],
    );
    const rand = random(1);
    for (let i = 0; i < 500; i++) {
      const total = prices(randomMarket(rand)).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-12, `prices sum to ${total}`);
    }
  });

  test("buying raises the bought outcome's price and lowers the others", () => {
    const state = openLmsr(100, [0.5, 0.3, 0.2]);
    const after = prices(buy(state, 2, 5000).after);
    assert.ok((after[2] ?? 0) > 0.2 && (after[0] ?? 1) < 0.5 && (after[1] ?? 1) < 0.3);
  });

  test("a complete set costs exactly its size, in any order, from any state", () => {
    const rand = random(2);
    for (let i = 0; i < 500; i++) {
      let state = randomMarket(rand);
      const size = 1 + Math.floor(rand() * 50000);
      let paid = 0;
      const order = state.sold.map((_, j) => j).sort(() => rand() - 0.5);
      for (const outcome of order) {
        const fill = buy(state, outcome, size);
        paid += fill.cents;
        state = fill.after;
      }
      assert.equal(paid, size, `a set of ${size / 100} shares cost ${paid / 100}`);
    }
    const first = buy(openLmsr(100, [0.5, 0.5]), 0, 100);
    assert.equal(first.cents + buy(first.after, 1, 100).cents, 100);
  });

  test("buying then selling never profits", () => {
    const rand = random(3);
    for (let i = 0; i < 1000; i++) {
      const state = randomMarket(rand);
      const outcome = Math.floor(rand() * state.sold.length);
      const size = 1 + Math.floor(rand() * 100000);
      const bought = buy(state, outcome, size);
      const sold = sell(bought.after, outcome, size);
      assert.ok(sold.cents <= bought.cents, `bought for ${bought.cents}, sold for ${sold.cents}`);
      assert.deepEqual(sold.after.sold, state.sold);
    }
  });

  test("cost is monotone in the shares bought, and a buy costs less than the shares pay", () => {
    const rand = random(4);
    for (let i = 0; i < 200; i++) {
      const state = randomMarket(rand);
      const outcome = Math.floor(rand() * state.sold.length);
      let previous = 0;
      for (let size = 1; size <= 3000; size += 1 + Math.floor(rand() * 97)) {
        const cents = buy(state, outcome, size).cents;
        assert.ok(cents >= previous, `${size} hundredths cost ${cents} < ${previous}`);
        assert.ok(cents <= size + 1, `${size} hundredths cost ${cents}`);
        previous = cents;
      }
    }
  });

  test("the opening subsidy plus what traders paid covers every outcome's payout", () => {
    const rand = random(5);
    for (let i = 0; i < 300; i++) {
      const n = 2 + Math.floor(rand() * 2);
      let state = openLmsr(
        10 + rand() * 300,
        Array.from({ length: n }, () => 0.01 + rand()),
      );
      let escrow = worstCaseLossCents(state);
      for (let k = 0; k < 40; k++) {
        const outcome = Math.floor(rand() * n);
        const held = state.sold[outcome] ?? 0;
        if (held > 0 && rand() < 0.4) {
          const fill = sell(state, outcome, 1 + Math.floor(rand() * held));
          escrow -= fill.cents;
          state = fill.after;
        } else {
          const fill = buy(state, outcome, 1 + Math.floor(rand() * 100000));
          escrow += fill.cents;
          state = fill.after;
        }
        for (const owed of state.sold) assert.ok(escrow >= owed, `escrow ${escrow} < payout ${owed}`);
      }
    }
  });

  test("rejects what is not a market", () => {
    assert.throws(() => openLmsr(0, [0.5, 0.5]), RangeError);
    assert.throws(() => openLmsr(100, [1]), RangeError);
    assert.throws(() => openLmsr(100, [0.5, Number.NaN]), RangeError);
    assert.throws(() => buy(openLmsr(100, [0.5, 0.5]), 0, 0.5), RangeError);
    assert.throws(() => sell(openLmsr(100, [0.5, 0.5]), 0, 1), RangeError);
    assert.equal(costCents(openLmsr(100, [0.5, 0.5])) <= 1, true);
  });
});
