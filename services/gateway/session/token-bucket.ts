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
  const now = options.now ?? Date.now;
  let tokens = options.burst;
  let refilledAt = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - refilledAt) * options.perSecond) / 1000);
      refilledAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - tokens) * 1000) / options.perSecond);
    },
  };
}
