/**
 * LMSR market maker (Hanson): cost C(q) = b·ln Σ exp(q_i/b), price_i = exp(q_i/b) / Σ exp(q_j/b).
 *
 * A market's state is its fixed opening quantities `initial` (q0_i = b·ln p0_i, so the opening
 * prices are p0 and C(q0) = 0) plus the net shares sold of each outcome, `sold`, in integer
 * hundredths of a share. A hundredth of a share pays one cent, so `sold[i]` is also the escrow
 * owed if outcome i wins.
 *
 * Money: the market's cumulative cost is rounded up to whole cents, and a trade is charged the
 * difference of that rounded cost before and after it (rather than rounding each trade alone).
 * Every path between two states then costs the same whole cents, which gives exactly:
 * - a complete set (s shares of every outcome) costs s credits, to the cent;
 * - buying then selling the same shares returns exactly what they cost, never more;
 * - what traders paid in net is within a cent of the exact LMSR cost, so the opening subsidy
 *   `worstCaseLossCents` plus the escrow always covers every outcome's payout.
 * Floats are confined to this file; callers see integer cents.
 */
export interface LmsrState {
  /** Liquidity `b`, in shares: larger means prices move less per share traded. */
  readonly b: number;
  /** Opening quantities q0_i = b·ln p0_i. */
  readonly initial: readonly number[];
  /** Net hundredths of a share sold of each outcome (never negative). */
  readonly sold: readonly number[];
}

/** Opening prices are kept inside [minPrice, 1 − minPrice] so the subsidy stays bounded. */
export const minPrice = 0.005;

/** The opening state of a market at `prices` (any positive weights; normalised here). */
export function openLmsr(b: number, prices: readonly number[]): LmsrState {
  if (!(b > 0) || !Number.isFinite(b)) throw new RangeError(`liquidity must be positive (got ${b})`);
  if (prices.length < 2) throw new RangeError("a market needs at least two outcomes");
  const clamped = prices.map((p) => {
    if (!(p >= 0) || !Number.isFinite(p))
      throw new RangeError(`price must be a finite probability (got ${p})`);
    return Math.max(p, minPrice);
  });
  const total = clamped.reduce((s, p) => s + p, 0);
  return { b, initial: clamped.map((p) => b * Math.log(p / total)), sold: prices.map(() => 0) };
}

/**
 * The market maker's worst-case loss in cents: max_i b·ln(1/p0_i) (b·ln n at uniform prices),
 * plus one cent for the rounding of the opening cost. Moved from the house to the market's
 * escrow when the market opens.
 */
export function worstCaseLossCents(state: LmsrState): number {
  const worst = Math.max(...state.initial.map((q) => -q));
  return Math.ceil(worst * 100) + 1;
}

/** The cumulative cost C(q) in whole cents, rounded up (log-sum-exp on the integer-shifted state). */
export function costCents(state: LmsrState, sold: readonly number[] = state.sold): number {
  // Shifting every outcome by the same whole number of hundredths leaves `tail` bit-identical,
  // which is what makes a complete set cost exactly its size in cents.
  const top = Math.max(...sold);
  let sum = 0;
  for (let i = 0; i < sold.length; i++) {
    sum += Math.exp(((state.initial[i] ?? 0) + ((sold[i] ?? 0) - top) / 100) / state.b);
  }
  const tail = state.b * Math.log(sum) * 100;
  return top + Math.ceil(tail);
}

/** Current prices (sum to 1). */
export function prices(state: LmsrState): number[] {
  const top = Math.max(...state.sold);
  const weights = state.sold.map((s, i) => Math.exp(((state.initial[i] ?? 0) + (s - top) / 100) / state.b));
  const total = weights.reduce((a, w) => a + w, 0);
  return weights.map((w) => w / total);
}

export interface LmsrFill {
  /** Cents the trader pays (buy) or receives (sell); never negative. */
  cents: number;
  /** The state after the trade. */
  after: LmsrState;
}

/** Buying `hundredths` of outcome `index`: what it costs and the state after. */
export function buy(state: LmsrState, index: number, hundredths: number): LmsrFill {
  const after = shift(state, index, hundredths);
  return { cents: costCents(after) - costCents(state), after };
}

/** Selling `hundredths` of outcome `index` back to the market: what it pays and the state after. */
export function sell(state: LmsrState, index: number, hundredths: number): LmsrFill {
  if ((state.sold[index] ?? 0) < hundredths)
    throw new RangeError("cannot sell more than the market has sold");
  const after = shift(state, index, -hundredths);
  return { cents: costCents(state) - costCents(after), after };
}

function shift(state: LmsrState, index: number, hundredths: number): LmsrState {
  if (!Number.isSafeInteger(hundredths) || hundredths === 0)
    throw new RangeError(`shares must be a non-zero whole number of hundredths (got ${hundredths})`);
  if (index < 0 || index >= state.sold.length) throw new RangeError(`no outcome ${index}`);
  const sold = state.sold.slice();
  sold[index] = (sold[index] ?? 0) + hundredths;
  return { ...state, sold };
}
