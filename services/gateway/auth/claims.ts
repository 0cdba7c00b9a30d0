import { type Static, Type as T } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Tier, UserId } from "../../../shared/protocol/common.js";

/** The claims a user token must carry (PROTOCOL.md "Authentication"); other claims are ignored. */
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

/** `exp` as the ISO time a client sees in `auth.ok` and dev-token answers. */
export function expiresAt(claims: Pick<Claims, "exp">): string {
  return new Date(claims.exp * 1000).toISOString();
}
