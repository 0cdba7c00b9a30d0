import { type Static, Type as T } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/**
 * The one configuration schema of every service. Each property is read from the environment
 * variable of the same name in CONSTANT_CASE (`heartbeatMs` ← `HEARTBEAT_MS`); units are in the
 * names. A bad value stops the process with a message naming the variable. The loaded object is
 * frozen: configuration never changes while a process runs.
 */
export const configSchema = T.Object(
  {
    host: T.String({ default: "127.0.0.1", description: "Address the HTTP/WebSocket server binds." }),
    port: T.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8080,
      description: "Port of the HTTP/WebSocket server (0: any free port).",
    }),
    dataDir: T.String({
      default: ".data",
      description: "Embedded mode: folder for the database and other state.",
    }),
    logLevel: T.Union(
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => T.Literal(l)),
      { default: "info", description: "pino log level." },
    ),
    natsUrl: T.String({
      default: "nats://127.0.0.1:4222",
      description: "Distributed mode: NATS server(s), comma-separated.",
    }),
    redisUrl: T.String({
      default: "redis://127.0.0.1:6379",
      description: "Distributed mode: Redis for limits and caches.",
    }),
    databaseUrl: T.String({
      default: "postgres://postgres@127.0.0.1:5432/postgres",
      description: "Distributed mode: PostgreSQL.",
    }),
    databaseReadUrl: T.String({
      default: "",
      description:
        "Distributed mode: a streaming replica of DATABASE_URL for read-only lists and history (market lists, price history, trade history); a user's own wallet and positions, and every write, stay on DATABASE_URL. Empty: everything on DATABASE_URL.",
    }),
    streamPrefix: T.String({
      default: "",
      pattern: "^[A-Za-z0-9_-]*$",
      description:
        "Prefix of every JetStream stream, consumer and KV bucket name; lets deployments share one NATS.",
    }),
    natsReplicas: T.Integer({
      minimum: 1,
      maximum: 5,
      default: 1,
      description:
        "Distributed mode: copies JetStream keeps of every stream and KV bucket (queued runs, agent output, the LIVE log, the runs and feed-leader buckets). 1 for a single nats-server; 3 on a 3-node cluster, which then loses nothing when one node dies.",
    }),
    subjectPrefix: T.String({
      default: "",
      pattern: "^([A-Za-z0-9_-]+\\.)*$",
      description:
        "Prefix of every NATS subject (ends with a dot when set); isolates deployments on one NATS.",
    }),
    jwtSecret: T.String({
      minLength: 16,
      default: "dev-secret-change-me-please",
      description:
        "HS256 secret for user tokens and agent run ids. The default is refused at start except by embedded mode on a loopback HOST.",
    }),
    jwtPublicKey: T.String({
      default: "",
      description: "PEM public key: when set, tokens are verified with RS256/ES256 instead.",
    }),
    // No default: unset means "decide by mode" (`services/gateway/auth/secure-defaults.ts`).
    devTokens: T.Optional(
      T.Boolean({
        description:
          "Serves POST /api/auth/dev-token (any user id, no password). Unset: only in embedded mode on a loopback HOST.",
      }),
    ),
    devTokenTtlS: T.Integer({ minimum: 1, default: 3600, description: "Lifetime of development tokens." }),
    tokenMaxTtlS: T.Integer({
      minimum: 1,
      default: 86_400,
      description: "Longest token lifetime accepted: a token whose `exp - iat` is larger is refused.",
    }),
    tokenClockSkewS: T.Integer({
      minimum: 0,
      default: 60,
      description: "A token whose `iat` is more than this many seconds in the future is refused.",
    }),
    maxSocketsPerUser: T.Integer({
      minimum: 1,
      default: 10,
      description: "Open WebSockets of one user on one gateway; more are refused (`too_many_sockets`).",
    }),
    metricsHost: T.String({
      default: "127.0.0.1",
      description:
        "Address of the operator's listener, never the public one: GET /metrics, and /healthz and /readyz of the exchange, agent worker and market feed.",
    }),
    metricsPort: T.Integer({
      minimum: 0,
      maximum: 65535,
      default: 9464,
      description: "Port of the operator's listener (0: any free port).",
    }),
    corsOrigins: T.String({
      default: "",
      pattern: "^\\s*(https?://[^\\s,/]+\\s*(,\\s*https?://[^\\s,/]+\\s*)*)?$",
      description:
        "Comma-separated origins allowed to call the HTTP API from a browser (CORS); empty: no CORS headers.",
    }),
    gatewayId: T.String({
      default: "",
      description: "Name of this gateway in `welcome`; a random one when empty.",
    }),
    heartbeatMs: T.Integer({
      minimum: 100,
      default: 25000,
      description: "WebSocket ping interval; silent peers close after twice this.",
    }),
    maxFrameBytes: T.Integer({
      minimum: 1024,
      default: 65536,
      description: "Largest client WebSocket frame (bigger: close 1009).",
    }),
    workerConcurrency: T.Integer({
      minimum: 1,
      default: 64,
      description: "Agent runs one worker process runs at once.",
    }),
    workerDrainMs: T.Integer({
      minimum: 0,
      default: 120000,
      description:
        "On SIGTERM a worker lets its runs finish this long, then hands the rest to other workers (keep under the pod's grace period).",
    }),
    agentAckWaitMs: T.Integer({
      minimum: 1000,
      default: 10000,
      description: "A run whose worker goes silent this long is redelivered.",
    }),
    agentConfirmTimeoutMs: T.Integer({
      minimum: 1000,
      default: 30000,
      description:
        "An agent's trade the user has not confirmed within this long is declined (agent.confirm).",
    }),
    agentMaxDeliver: T.Integer({
      minimum: 1,
      default: 3,
      description: "Attempts of one agent run before it fails.",
    }),
    agentQueueMax: T.Integer({
      minimum: 1,
      default: 100000,
      description: "Queued agent runs beyond which new ones are refused.",
    }),
    agentOutMaxAgeMs: T.Integer({
      minimum: 1000,
      default: 600000,
      description: "How long streamed agent output is kept for resumes.",
    }),
    agentRunsPerMinuteFree: T.Integer({
      minimum: 1,
      default: 10,
      description: "Agent runs a free user may start per minute, across every gateway.",
    }),
    agentRunsPerMinutePro: T.Integer({
      minimum: 1,
      default: 60,
      description: "Agent runs a pro user may start per minute, across every gateway.",
    }),
    agentConcurrentFree: T.Integer({
      minimum: 1,
      default: 2,
      description: "Agent runs of one free user queued or running at once, across every gateway.",
    }),
    agentConcurrentPro: T.Integer({
      minimum: 1,
      default: 8,
      description: "Agent runs of one pro user queued or running at once, across every gateway.",
    }),
    tradesPerSecondFree: T.Integer({
      minimum: 1,
      default: 5,
      description: "Trades a free user may place per second, across every gateway.",
    }),
    tradesPerSecondPro: T.Integer({
      minimum: 1,
      default: 20,
      description: "Trades a pro user may place per second, across every gateway.",
    }),
    httpRequestsPerMinuteUser: T.Integer({
      minimum: 1,
      default: 3000,
      description: "HTTP requests per minute of one user on authenticated routes (a coarse abuse guard).",
    }),
    httpRequestsPerMinuteIp: T.Integer({
      minimum: 1,
      default: 12000,
      description: "HTTP requests per minute from one IP address on public routes (a coarse abuse guard).",
    }),
    coalesceMs: T.Integer({
      minimum: 0,
      default: 5,
      description: "Agent text deltas are coalesced over this many ms.",
    }),
    offlineTokenDelayMs: T.Integer({
      minimum: 0,
      default: 15,
      description: "Offline model: pause between streamed tokens.",
    }),
    anthropicApiKey: T.String({
      default: "",
      description: "When set, agents use Anthropic's Messages API; else the offline model.",
    }),
    anthropicBaseUrl: T.String({
      default: "",
      description: "Messages API base URL (a local fake in tests).",
    }),
    anthropicModel: T.String({
      default: "claude-sonnet-5-5",
      description: "Model of every agent unless the agent sets its own.",
    }),
    modelStallMs: T.Integer({
      minimum: 100,
      default: 30000,
      description: "A model stream silent this long is aborted and retried.",
    }),
    modelMaxSteps: T.Integer({
      minimum: 1,
      default: 8,
      description: "Model calls in one agent run's tool loop.",
    }),
    agentStakeCapCredits: T.Number({
      exclusiveMinimum: 0,
      default: 100,
      description: "Most credits one agent run may stake on trades (the risk check's per-run cap).",
    }),
    liquidityMatchResult: T.Number({
      exclusiveMinimum: 0,
      default: 250,
      description: "LMSR liquidity b (shares) of 1X2 markets: larger moves prices less per share.",
    }),
    liquidityOverUnder: T.Number({
      exclusiveMinimum: 0,
      default: 200,
      description: "LMSR liquidity b (shares) of over/under 2.5 goals markets.",
    }),
    liquidityBtts: T.Number({
      exclusiveMinimum: 0,
      default: 200,
      description: "LMSR liquidity b (shares) of both-teams-to-score markets.",
    }),
    startingBalance: T.Number({
      minimum: 0,
      default: 1000,
      description: "Credits a new user receives from the house.",
    }),
    liveMaxAgeMs: T.Integer({
      minimum: 1000,
      default: 86_400_000,
      description: "How long live events are kept for `since` recovery.",
    }),
    liveMaxMsgsPerTopic: T.Integer({
      minimum: 1,
      default: 10_000,
      description: "Live events kept per match, market or user topic.",
    }),
    liveConflateAboveBytes: T.Integer({
      minimum: 1024,
      default: 262_144,
      description:
        "Unsent bytes on a socket above which its market events are conflated (latest per market).",
    }),
    liveSlowConsumerBytes: T.Integer({
      minimum: 1024,
      default: 1_048_576,
      description:
        "Unsent bytes on a socket above which a live event that must not be dropped closes it (4008).",
    }),
    feedEnabled: T.Boolean({
      default: true,
      description: "Runs the match clock (market-feed) in this process or deployment.",
    }),
    feedMatchDurationMs: T.Integer({
      minimum: 1000,
      default: 180_000,
      description: "Wall-clock length of a simulated 90-minute match (the clock's speed).",
    }),
    feedRoundGapMs: T.Integer({
      minimum: 0,
      default: 30_000,
      description: "Pause between one round of fixtures ending and the next kicking off.",
    }),
    feedGoalSuspendMs: T.Integer({
      minimum: 0,
      default: 2_000,
      description: "How long a match's markets stay suspended after a goal before reopening.",
    }),
    feedLeaseMs: T.Integer({
      minimum: 500,
      default: 5_000,
      description: "Leader lease of the active market-feed; another takes over this long after it dies.",
    }),
  },
  { additionalProperties: false },
);

export type Config = Readonly<Static<typeof configSchema>>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`configuration: ${variable} ${reason}`);
    this.name = "ConfigError";
  }
}

/**
 * `loadConfig()` for a command's entry point: a bad setting prints the one line naming it to
 * stderr and exits 2 (a usage error, as the shell means it), instead of a stack trace.
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

export function envName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Reads the configuration from `env` (strings) plus typed `overrides` (tests), validates and freezes it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.properties)) {
    const text = env[envName(key)];
    if (text === undefined || text === "") continue;
    raw[key] = coerce(key, text, (schema as { type?: string }).type);
  }
  const merged = Value.Default(configSchema, { ...raw, ...overrides });
  const firstError = Value.Errors(configSchema, merged).First();
  if (firstError) {
    const key = firstError.path.split("/")[1] ?? "";
    throw new ConfigError(
      key ? envName(key) : "(root)",
      `is invalid: ${firstError.message} (got ${JSON.stringify(firstError.value)})`,
    );
  }
  return Object.freeze(merged as Config);
}

function coerce(key: string, text: string, type: string | undefined): unknown {
  if (type === "integer" || type === "number") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n))
      throw new ConfigError(envName(key), `must be a number (got ${JSON.stringify(text)})`);
    return n;
  }
  if (type === "boolean") {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    throw new ConfigError(envName(key), `must be true or false (got ${JSON.stringify(text)})`);
  }
  return text;
}

/** Markdown table of every variable, generated from the schema (README and docs/configuration.md). */
export function describeConfig(): string {
  const rows = Object.entries(configSchema.properties).map(([key, s]) => {
    const schema = s as { default?: unknown; description?: string };
    const value = schema.default === undefined ? "unset" : `\`${JSON.stringify(schema.default)}\``;
    return `| \`${envName(key)}\` | ${value} | ${schema.description ?? ""} |`;
  });
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}
