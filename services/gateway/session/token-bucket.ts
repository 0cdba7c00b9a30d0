/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. `take` spends one token and returns 0,
 * or returns how many ms until a token is available (and spends nothing).
 */
export interface TokenBucket {
  take(): number;
}

export function createTokenBucket(options: {
  perSecond: number;
  burst: number;
  now?: () => number;
}): TokenBucket {
  return new RefillingBucket(options.perSecond, options.burst, options.now ?? Date.now);
}

// A class rather than a closure: one per socket, so its method is shared.
class RefillingBucket implements TokenBucket {
  #tokens: number;
  #refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#refilledAt = now();
  }

  take(): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#refilledAt) * this.perSecond) / 1000);
    this.#refilledAt = t;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond);
  }
}
