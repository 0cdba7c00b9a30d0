import fastifyJwt from "@fastify/jwt";
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../../../shared/config.js";
import { AppError } from "../../../shared/errors.js";
import { type Claims, claimsChecker, expiresAt, type TokenIssuer, type TokenVerifier } from "./claims.js";

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

/**
 * Token verification for the whole app (escapes encapsulation: every route plugin needs it).
 * HS256 with `jwtSecret`, or RS256/ES256 with `jwtPublicKey` when that is set; the algorithm list
 * is pinned so a token cannot pick its own (no `none`, no HS256 signed with the public key).
 */
async function authPlugin(app: FastifyInstance, options: { config: Config }) {
  const { config } = options;
  const publicKey = config.jwtPublicKey.trim();
  await app.register(fastifyJwt, {
    secret: publicKey === "" ? config.jwtSecret : { public: publicKey },
    sign: { algorithm: "HS256" },
    verify: { algorithms: publicKey === "" ? ["HS256"] : ["RS256", "ES256"] },
  });

  const tokens: TokenVerifier = {
    verify(token) {
      let payload: unknown;
      try {
        payload = app.jwt.verify(token);
      } catch (err) {
        const expired = (err as { code?: unknown }).code === "FAST_JWT_EXPIRED";
        throw new AppError("unauthorized", expired ? "token expired" : "invalid token");
      }
      if (!claimsChecker.Check(payload)) {
        throw new AppError("unauthorized", "token lacks valid sub, tier, exp and iat claims");
      }
      return payload;
    },
  };

  const tokenIssuer: TokenIssuer | undefined =
    publicKey !== ""
      ? undefined
      : {
          issue(userId, tier) {
            const iat = Math.floor(Date.now() / 1000);
            const claims: Claims = { sub: userId, tier, iat, exp: iat + config.devTokenTtlS };
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
