import fastifyJwt from "@fastify/jwt";
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../../../shared/config.js";
import { AppError } from "../../../shared/errors.js";
import {
  type Claims,
  claimsChecker,
  expiresAt,
  type TokenIssuer,
  type TokenVerifier,
  tokenTimeProblem,
} from "./claims.js";

declare module "fastify" {
  interface FastifyInstance {
    tokens: TokenVerifier;
    /** Present only when this gateway can sign tokens (HS256 secret, no public key configured). */
    tokenIssuer: TokenIssuer | undefined;
    /** onRequest hook: a valid `Authorization: Bearer` token, else 401. Sets `request.claims`. */
    authenticate: onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    claims: Claims | null;
  }
}

/** Verified tokens a gateway remembers: about one a signed-in user it serves. */
const verifiedTokensCached = 10_000;

/**
 * Token verification for the whole app (escapes encapsulation: every route plugin needs it).
 * HS256 with `jwtSecret`, or RS256/ES256 with `jwtPublicKey` when that is set; the algorithm list
 * is pinned so a token cannot pick its own (no `none`, no HS256 signed with the public key).
 * `exp` and `iat` are required (the library's `requiredClaims`), `exp` is checked by the library
 * with no tolerance and by `tokenTimeProblem` in its own millisecond (a token is refused, and a
 * session closes 4001, at `exp` exactly), which also bounds the rest: `iat` at most
 * `TOKEN_CLOCK_SKEW_S` ahead, `exp - iat` at most `TOKEN_MAX_TTL_S`.
 */
async function authPlugin(app: FastifyInstance, options: { config: Config }) {
  const { config } = options;
  const publicKey = config.jwtPublicKey.trim();
  await app.register(fastifyJwt, {
    secret: publicKey === "" ? config.jwtSecret : { public: publicKey },
    sign: { algorithm: "HS256" },
    verify: {
      algorithms: publicKey === "" ? ["HS256"] : ["RS256", "ES256"],
      requiredClaims: ["exp", "iat"],
      // A client sends the same token with every request of its session: the library keeps a
      // verified token's claims until its `exp` (never later), keyed by a hash of the token, so a
      // token seen before costs a hash (2.4 µs here) instead of a verification (6 µs).
      cache: verifiedTokensCached,
    },
  });
  const timePolicy = { maxTtlS: config.tokenMaxTtlS, clockSkewS: config.tokenClockSkewS };

  const tokens: TokenVerifier = {
    verify(token) {
      let payload: unknown;
      try {
        payload = app.jwt.verify(token);
      } catch (err) {
        throw new AppError("unauthorized", verifyFailure((err as { code?: unknown }).code));
      }
      if (!claimsChecker.Check(payload)) {
        throw new AppError("unauthorized", "token lacks valid sub, tier, exp and iat claims");
      }
      const problem = tokenTimeProblem(payload, timePolicy, Date.now() / 1000);
      if (problem !== undefined) throw new AppError("unauthorized", problem);
      return payload;
    },
  };

  const tokenIssuer: TokenIssuer | undefined =
    publicKey !== ""
      ? undefined
      : {
          issue(userId, tier) {
            const iat = Math.floor(Date.now() / 1000);
            const ttlS = Math.min(config.devTokenTtlS, config.tokenMaxTtlS);
            const claims: Claims = { sub: userId, tier, iat, exp: iat + ttlS };
            return { token: app.jwt.sign(claims), expiresAt: expiresAt(claims) };
          },
        };

  const authenticate = async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) throw new AppError("unauthorized", "missing bearer token");
    request.claims = tokens.verify(token);
  };

  app.decorateRequest("claims", null);
  app.decorate("tokens", tokens);
  app.decorate("tokenIssuer", tokenIssuer);
  app.decorate("authenticate", authenticate);
}

/** The client's reason for a token the JWT library refused (fast-jwt error codes). */
function verifyFailure(code: unknown): string {
  if (code === "FAST_JWT_EXPIRED") return "token expired";
  if (code === "FAST_JWT_MISSING_REQUIRED_CLAIM") return "token lacks an exp or iat claim";
  return "invalid token";
}

/**
 * The token of an `Authorization: Bearer <token>` header; undefined without the header. Any
 * other form of the header is refused (401) rather than ignored.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw new AppError("unauthorized", "Authorization header must be `Bearer <token>`");
  return match[1];
}

export default fp(authPlugin, { name: "gateway-auth", fastify: "5.x" });
