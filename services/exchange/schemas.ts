import { type Static, Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { AppError } from "../../shared/errors.js";
import {
  IdempotencyKey,
  MarketId,
  MarketStatus,
  MatchId,
  Outcome,
  Side,
  UserId,
} from "../../shared/protocol/common.js";

/**
 * Payloads of the exchange's methods (in process and on `exchange.<method>` over NATS, version 1).
 * Amounts are plain numbers here: their "at most 2 decimals" rule is checked by money.ts, so that
 * bad shares answer `invalid_shares` rather than `bad_request`. Ids are `SafeId`s, as in the
 * client protocol: the exchange is the last check before PostgreSQL, which cannot store a NUL,
 * and its callers include agents whose tool arguments come from a model.
 */
const strict = { additionalProperties: false } as const;
const Amount = T.Number();
const Limit = T.Integer({ minimum: 1, maximum: 500 });

export const exchangeSchemas = {
  quote: T.Object({ marketId: MarketId, outcome: Outcome, side: Side, shares: Amount }, strict),
  trade: T.Object(
    {
      userId: UserId,
      marketId: MarketId,
      outcome: Outcome,
      side: Side,
      shares: Amount,
      maxCost: T.Optional(Amount),
      minProceeds: T.Optional(Amount),
      idempotencyKey: T.Optional(IdempotencyKey),
    },
    strict,
  ),
  settle: T.Object({ marketId: MarketId, winner: Outcome }, strict),
  setMarketStatus: T.Object(
    {
      marketId: MarketId,
      status: T.Union([T.Literal("open"), T.Literal("suspended"), T.Literal("closed")]),
    },
    strict,
  ),
  /** Outcome → target probability; every outcome of the market, each finite and ≥ 0. */
  reprice: T.Object(
    { marketId: MarketId, prices: T.Record(Outcome, T.Number({ minimum: 0, maximum: 1 })) },
    strict,
  ),
  deposit: T.Object(
    {
      userId: UserId,
      amount: Amount,
      idempotencyKey: T.Optional(IdempotencyKey),
    },
    strict,
  ),
  openMarkets: T.Object({ matchIds: T.Optional(T.Array(MatchId)) }, strict),
  getWallet: T.Object({ userId: UserId }, strict),
  getPositions: T.Object({ userId: UserId }, strict),
  getPortfolio: T.Object({ userId: UserId }, strict),
  getTrades: T.Object({ userId: UserId, limit: T.Optional(Limit) }, strict),
  getSettlements: T.Object({ userId: UserId, limit: T.Optional(Limit) }, strict),
  listMarkets: T.Object(
    {
      matchId: T.Optional(MatchId),
      status: T.Optional(MarketStatus),
    },
    strict,
  ),
  getMarket: T.Object({ marketId: MarketId }, strict),
  priceHistory: T.Object({ marketId: MarketId, limit: T.Optional(Limit) }, strict),
} satisfies Record<string, TSchema>;

export type ExchangeMethod = keyof typeof exchangeSchemas;
export type ExchangeInput<M extends ExchangeMethod> = Static<(typeof exchangeSchemas)[M]>;
export const exchangeMethods = Object.keys(exchangeSchemas) as ExchangeMethod[];

const checkers = Object.fromEntries(
  Object.entries(exchangeSchemas).map(([method, schema]) => [method, TypeCompiler.Compile(schema)]),
) as { [M in ExchangeMethod]: ReturnType<typeof TypeCompiler.Compile<(typeof exchangeSchemas)[M]>> };

/** The payload typed, or `bad_request` naming the first field that is wrong. */
export function parseInput<M extends ExchangeMethod>(method: M, payload: unknown): ExchangeInput<M> {
  const checker = checkers[method];
  if (checker.Check(payload)) return payload as ExchangeInput<M>;
  const first = checker.Errors(payload).First();
  throw new AppError(
    "bad_request",
    `${method}: ${first ? `${first.path || "payload"} ${first.message}` : "invalid"}`,
  );
}
