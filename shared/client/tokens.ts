import { TokenExpiredError } from "./errors.js";

/** A JWT, or a function that fetches a fresh one (from the program's own auth service). */
export type TokenOptions =
  | { token: string; getToken?: never }
  | { getToken: () => string | Promise<string>; token?: never };

/**
 * The client's current token and when to renew it, read from its `exp` and `iat` claims
 * (docs/protocol.md "Authentication"). The signature is the server's to check; the client only
 * needs to know when to ask for the next one.
 */
export interface TokenSource {
  /** The token to connect with, renewed first when asked, expired or due for renewal. */
  current(renew?: boolean): Promise<string>;
  /** Epoch ms at which to renew the current token, or undefined when it has no readable `exp`. */
  refreshAt(): number | undefined;
  readonly renewable: boolean;
}

/**
 * Renew `leadMs` before `exp`, or at 4/5 of the token's life when that is shorter, so a
 * short-lived token is renewed well before the gateway closes the socket 4001 at `exp`.
 */
export function createTokenSource(options: TokenOptions, leadMs: number): TokenSource {
  let token = options.token;
  const getToken = options.getToken;
  const refreshAt = () => {
    if (token === undefined) return undefined;
    const claims = claimsOf(token);
    if (claims === undefined) return undefined;
    const lifeMs = claims.iat === undefined ? Number.POSITIVE_INFINITY : claims.exp - claims.iat;
    return claims.exp - Math.min(leadMs, lifeMs / 5);
  };
  return {
    renewable: getToken !== undefined,
    refreshAt,
    async current(renew = false) {
      const exp = token === undefined ? undefined : claimsOf(token)?.exp;
      if (getToken === undefined) {
        if (exp !== undefined && exp <= Date.now()) throw new TokenExpiredError();
        return token!;
      }
      if (renew || token === undefined || (refreshAt() ?? Number.POSITIVE_INFINITY) <= Date.now()) {
        token = await getToken();
      }
      return token;
    },
  };
}

/** The `exp` and `iat` claims of a JWT in epoch ms; undefined when the token is not a readable JWT. */
export function claimsOf(token: string): { exp: number; iat: number | undefined } | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as {
      exp?: unknown;
      iat?: unknown;
    };
    if (typeof claims.exp !== "number") return undefined;
    return { exp: claims.exp * 1000, iat: typeof claims.iat === "number" ? claims.iat * 1000 : undefined };
  } catch {
    return undefined;
  }
}
