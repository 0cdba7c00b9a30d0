import { isIP } from "node:net";
import { type Config, configSchema } from "../../../shared/config.js";

/**
 * How the process runs: `embedded` is the whole platform in one process (`npm start`),
 * `distributed` a gateway among others (NATS, Redis, PostgreSQL).
 */
export type DeploymentMode = "embedded" | "distributed";

/** The built-in `JWT_SECRET`: public (README, source), so it protects nothing once reachable. */
export const builtInJwtSecret: string = configSchema.properties.jwtSecret.default;

export interface SecureDefaults {
  /**
   * Why the process must not start, naming the variable to set; undefined when it may. Every
   * process that verifies tokens refuses the built-in secret unless it is embedded mode bound to a
   * loopback address: anyone who read the README could otherwise sign a token for any user.
   */
  refusal: { variable: "JWT_SECRET"; message: string } | undefined;
  /**
   * Whether `POST /api/auth/dev-token` (a token for any user id, no password) is served: as
   * `DEV_TOKENS` says when set, else only in embedded mode on a loopback address.
   */
  devTokens: boolean;
}

/** The security decisions made at start from the configuration alone (docs/protocol.md "Authentication"). */
export function secureDefaults(
  config: Pick<Config, "host" | "jwtSecret" | "devTokens">,
  mode: DeploymentMode,
): SecureDefaults {
  const localOnly = mode === "embedded" && isLoopbackHost(config.host);
  const refusal =
    config.jwtSecret === builtInJwtSecret && !localOnly
      ? {
          variable: "JWT_SECRET" as const,
          message:
            mode === "embedded"
              ? `JWT_SECRET is the built-in default and HOST ${config.host} is not a loopback address: set JWT_SECRET to a secret of your own`
              : "JWT_SECRET is the built-in default: set JWT_SECRET to a secret of your own (shared by every gateway)",
        }
      : undefined;
  return { refusal, devTokens: config.devTokens ?? localOnly };
}

/**
 * True when a listener on `host` is reachable from this machine only: `localhost`, 127.0.0.0/8,
 * `::1` (bracketed or not) and IPv4-mapped loopback. `0.0.0.0`, `::` and names are not.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === "localhost") return true;
  const v4 = bare.toLowerCase().startsWith("::ffff:") ? bare.slice(7) : bare;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  // The URL parser writes an IPv6 address in its one canonical form (`0:0::1` → `[::1]`).
  return isIP(bare) === 6 && new URL(`http://[${bare}]/`).hostname === "[::1]";
}
