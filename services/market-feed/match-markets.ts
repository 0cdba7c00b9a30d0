import type { Score } from "../../shared/epl/dataset.js";
import { inPlayProbabilities } from "../../shared/epl/in-play.js";
import {
  decidedOutcome,
  type MarketKind,
  marketId,
  marketKinds,
  marketPrices,
  winningOutcome,
} from "../../shared/epl/markets.js";
import type { GoalRates } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import type { Exchange } from "../exchange/client.js";

/** What the feed needs of the exchange to run a match's markets in play. */
export type InPlayExchange = Pick<Exchange, "setMarketStatus" | "reprice" | "settle" | "listMarkets">;

/**
 * A match's three markets in play. Every exchange call for the match runs on one queue, in the
 * order asked, so a reprice never overtakes the suspension before it or the settlement after it.
 */
export interface MatchMarkets {
  /**
   * A goal: settle at once the markets the score now decides (over 2.5 after the third goal,
   * both-teams-to-score after the second side's first: `decidedOutcome`), suspend the others now
   * and reopen them `suspendMs` later at the model's prices for the match as it is then. Another
   * goal meanwhile restarts the wait. From minute 90 they stay suspended until `finish`. Resolves
   * once the settlements and the suspension are done (or given up on): the feed publishes the goal
   * after that, so that no one who saw the goal finds its markets still open at the old prices.
   */
  goal(): Promise<void>;
  /** Reprices open markets to the model's prices for the match as it is now (time drift). */
  drift(): void;
  /** Kick-off: opens the markets (a feed restarted on lost history may have left them suspended). */
  kickoff(): void;
  /**
   * A feed taking over mid-match: settle what the score decides (the feed that stopped may have
   * died before it did), reprice the rest to the match as it is and open them, since that feed
   * may have left them suspended after a goal.
   */
  resume(): void;
  /**
   * Full time: drops a pending reopen and settles each market on `finalScore`, retrying while the
   * exchange is unavailable; resolves once all are settled (or `stop` was called).
   */
  finish(finalScore: Score): Promise<void>;
  /** Leadership lost: nothing queued after this reaches the exchange. */
  stop(): void;
}

export interface MatchMarketsOptions {
  exchange: InPlayExchange;
  matchId: string;
  /**
   * The model's full-match goal rates and their dependence (`Model.rates`): with the same ρ as
   * `Model.predict`, the minute-0 prices are the exchange's opening prices.
   */
  rates: GoalRates;
  suspendMs: number;
  /** The match as it is now. */
  state: () => { minute: number; score: Score };
  onError: (err: unknown, action: string) => void;
}

const kinds = Object.keys(marketKinds) as MarketKind[];
const settleRetryMs = 500;

export function createMatchMarkets(options: MatchMarketsOptions): MatchMarkets {
  const { exchange, matchId, rates, state, onError } = options;
  const ids = kinds.map((kind) => ({ kind, id: marketId(matchId, kind) }));
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  let suspended = false;
  /** Bumped by every goal, so a reopen scheduled before a later goal does nothing. */
  let goals = 0;
  let reopenTimer: NodeJS.Timeout | undefined;
  const waiting = new Set<() => void>();
  /** Markets settled before full time: never repriced, reopened or suspended again. */
  const settled = new Set<string>();
  const inPlay = () => ids.filter(({ id }) => !settled.has(id));

  function enqueue(action: string, work: () => Promise<void>): Promise<void> {
    queue = queue.then(async () => {
      if (stopped) return;
      try {
        await work();
      } catch (err) {
        onError(err, action);
      }
    });
    return queue;
  }

  async function reprice(): Promise<void> {
    const { minute, score } = state();
    const probabilities = inPlayProbabilities(rates, minute, score);
    for (const { kind, id } of inPlay())
      await exchange.reprice({ marketId: id, prices: marketPrices(kind, probabilities) });
  }

  async function setStatus(status: "open" | "suspended"): Promise<void> {
    for (const { id } of inPlay()) await exchange.setMarketStatus({ marketId: id, status });
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiting.add(done);
    });
  }

  /**
   * Settles one market, retrying while the exchange is unavailable. Settlement is idempotent on
   * the market (the exchange pays once), so settling again after a retry, a restart or a goal
   * seen twice pays nothing more.
   */
  async function settle(id: string, winner: string): Promise<void> {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await exchange.settle({ marketId: id, winner });
        settled.add(id);
        return;
      } catch (err) {
        onError(err, `settle ${id}`);
        if (!(err instanceof AppError && err.retryable)) return;
        await pause(settleRetryMs * Math.min(attempt, 10));
      }
    }
  }

  /** Settles the markets the score decides now; one that cannot be settled does not hold up the others. */
  async function settleDecided(): Promise<void> {
    const { score } = state();
    for (const { kind, id } of inPlay()) {
      const winner = decidedOutcome(kind, score);
      if (winner !== undefined) await settle(id, winner);
    }
  }

  async function settleEach(finalScore: Score): Promise<void> {
    for (const { kind, id } of inPlay()) await settle(id, winningOutcome(kind, finalScore));
  }

  return {
    goal() {
      if (stopped) return Promise.resolve();
      goals += 1;
      const goal = goals;
      clearTimeout(reopenTimer);
      suspended = true;
      void enqueue("settle decided", settleDecided);
      const closed = enqueue("suspend", () => setStatus("suspended"));
      reopenTimer = setTimeout(() => {
        void enqueue("reopen", async () => {
          if (goal !== goals || state().minute >= 90) return;
          await reprice();
          await setStatus("open");
          suspended = false;
        });
      }, options.suspendMs);
      return closed;
    },

    drift() {
      void enqueue("reprice", async () => {
        if (!suspended && state().minute < 90) await reprice();
      });
    },

    kickoff() {
      void enqueue("open", () => setStatus("open"));
    },

    resume() {
      void enqueue("settle decided", async () => {
        // The feed before may have settled markets on a goal it did not live to publish.
        for (const m of await exchange.listMarkets({ matchId }))
          if (m.status === "settled") settled.add(m.marketId);
        await settleDecided();
      });
      void enqueue("resume", async () => {
        if (state().minute >= 90) return;
        await reprice();
        await setStatus("open");
      });
    },

    finish(finalScore) {
      clearTimeout(reopenTimer);
      goals += 1;
      return enqueue("settle", () => settleEach(finalScore));
    },

    stop() {
      stopped = true;
      clearTimeout(reopenTimer);
      for (const done of [...waiting]) done();
    },
  };
}
