import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { median, percentile, ratio, summarize } from "./stats.js";

describe("percentile (nearest rank)", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  test("on 1..100 the p-th percentile is p", () => {
    assert.equal(percentile(oneToHundred, 50), 50);
    assert.equal(percentile(oneToHundred, 90), 90);
    assert.equal(percentile(oneToHundred, 99), 99);
    assert.equal(percentile(oneToHundred, 100), 100);
    assert.equal(percentile(oneToHundred, 0.5), 1);
  });

  test("is always a measured value, never an interpolation", () => {
    assert.equal(percentile([10, 20], 50), 10);
    assert.equal(percentile([10, 20], 51), 20);
    assert.equal(percentile([1, 2, 3, 4, 1000], 99), 1000);
    assert.equal(percentile([7], 1), 7);
  });

  test("is NaN on no values and refuses a percentile outside (0, 100]", () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

describe("summarize", () => {
  test("sorts numerically (not as strings) and reports count, mean and the tail", () => {
    const s = summarize([100, 9, 1, 20, 3, 2, 8, 4, 6, 5, 7]);
    assert.equal(s.count, 11);
    assert.equal(s.p50, 6);
    assert.equal(s.p90, 20);
    assert.equal(s.p99, 100);
    assert.equal(s.max, 100);
    assert.equal(s.mean, 165 / 11);
  });

  test("of nothing is a zero count with NaN figures, written as null in JSON", () => {
    const s = summarize([]);
    assert.equal(s.count, 0);
    assert.ok(Number.isNaN(s.p50) && Number.isNaN(s.max) && Number.isNaN(s.mean));
    assert.equal(JSON.parse(JSON.stringify(s)).p99, null);
  });
});

test("ratio is NaN without a usable baseline", () => {
  assert.equal(ratio(30, 10), 3);
  assert.ok(Number.isNaN(ratio(30, 0)));
  assert.ok(Number.isNaN(ratio(4.6, -0.01)), "a baseline just below 0 gives no ratio");
  assert.ok(Number.isNaN(ratio(Number.NaN, 10)));
});

test("median of runs: the middle value, the mean of the middle two, NaN left out", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([10, 30]), 20);
  assert.equal(median([5, Number.NaN]), 5);
  assert.equal(median([100, 2, 1, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
