import { type Static, Type as T } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Tier, UserId } from "../../../shared/protocol/common.js";

/** The claims a user token must carry (docs/protocol.md "Authentication"); other claims are ignored. */
export const Claims = T.Object({
  sub: UserId,
  tier: Tier,
  /** Seconds since epoch. */
  exp: T.Integer({ minimum: 0 }),
  /** Seconds since epoch. */
  iat: T.Integer({ minimum: 0 }),
});
export type Claims = Static<typeof Claims>;

export const claimsChecker = TypeCompiler.Compile(Claims);

/**
 * Verifies user tokens. `verify` throws `AppError("unauthorized")` for a missing, forged, expired
 * or malformed token and never anything else.
 */
export interface TokenVerifier {
  verify(token: string): Claims;
}

/** Issues development tokens; absent when the gateway only holds a public key. */
export interface TokenIssuer {
  issue(userId: string, tier: Claims["tier"]): { token: string; expiresAt: string };
}

/** Bounds on a token's times (docs/protocol.md "Authentication"), in seconds. */
export interface TokenTimePolicy {
  /** Largest `exp - iat`: a stolen token is worth this long at most. */
  maxTtlS: number;
  /** How far ahead of this clock an issuer's clock may be: `iat` beyond it is refused. */
  clockSkewS: number;
}

/**
 * Why a signed token's times are not acceptable, or undefined when they are. Expiry itself is
 * the JWT library's check, but the library still accepts a token in the very millisecond of its
 * `exp`, where a token is expired "on or after" `exp` (RFC 7519): that millisecond is refused
 * here. The other two checks have no option in the library: without them a token with `iat`
 * ahead of the clock, or `exp` centuries away, would be good for as long as it claims.
 */
export function tokenTimeProblem(
  claims: Pick<Claims, "iat" | "exp">,
  policy: TokenTimePolicy,
  nowS: number,
): string | undefined {
  if (claims.exp <= nowS) return "token expired";
  if (claims.iat > nowS + policy.clockSkewS) return "token issued in the future (iat)";
  if (claims.exp - claims.iat > policy.maxTtlS) {
    return `token lifetime (exp - iat) exceeds ${policy.maxTtlS} s`;
  }
  return undefined;
}

/** `exp` as the ISO time a client sees in `auth.ok` and dev-token answers. */
export function expiresAt(claims: Pick<Claims, "exp">): string {
  return new Date(claims.exp * 1000).toISOString();
}
