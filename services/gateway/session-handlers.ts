import { AppError } from "../../shared/errors.js";
import type { ClientFrameOf } from "../../shared/protocol/client-frames.js";
import { type AgentDeps, AgentRelays } from "./agent-runs/agent-relays.js";
import { type ChannelDeps, type ChannelHandlers, createChannelHandlers } from "./live/channel-handlers.js";
import type { FrameHandlers, SessionContext, SessionHandlers } from "./session/frame-handlers.js";
import type { TradeDesk } from "./trading/trade-desk.js";
import { handleQuote, handleTrade } from "./trading/trading-handlers.js";

/** The features a gateway's sessions serve. */
export interface SessionFeatures {
  agentRuns: AgentDeps;
  /** Quotes and trades; absent: those frames answer `unavailable`. */
  tradeDesk?: TradeDesk;
  /** Live channels; absent: `subscribe` and `unsubscribe` answer `unavailable`. */
  channels?: ChannelDeps;
}

/** Each session's frame handlers over the gateway's features: the session's whole dispatch table. */
export function createSessionHandlers(features: SessionFeatures): SessionHandlers {
  return (session) => new FeatureHandlers(session, features);
}

// A class rather than closures per session: its methods exist once for every socket.
class FeatureHandlers implements FrameHandlers {
  readonly #agents: AgentRelays;
  readonly #channels: ChannelHandlers | undefined;

  constructor(
    private readonly session: SessionContext,
    private readonly features: SessionFeatures,
  ) {
    this.#agents = new AgentRelays(session, features.agentRuns);
    this.#channels =
      features.channels === undefined ? undefined : createChannelHandlers(session, features.channels);
  }

  "agent.run"(frame: ClientFrameOf<"agent.run">) {
    return this.#agents.run(frame);
  }

  "agent.cancel"(frame: ClientFrameOf<"agent.cancel">) {
    return this.#agents.cancel(frame);
  }

  "agent.resume"(frame: ClientFrameOf<"agent.resume">) {
    return this.#agents.resume(frame);
  }

  "agent.confirm.reply"(frame: ClientFrameOf<"agent.confirm.reply">) {
    return this.#agents.answer(frame);
  }

  subscribe(frame: ClientFrameOf<"subscribe">) {
    return this.#serving().subscribe(frame);
  }

  unsubscribe(frame: ClientFrameOf<"unsubscribe">) {
    this.#serving().unsubscribe(frame);
  }

  quote(frame: ClientFrameOf<"quote">) {
    return handleQuote(this.session, this.features.tradeDesk, frame);
  }

  trade(frame: ClientFrameOf<"trade">) {
    return handleTrade(this.session, this.features.tradeDesk, frame);
  }

  close(): void {
    this.#agents.close();
    this.#channels?.close();
  }

  /**
   * A gateway built without a live stream serves no channels: `unavailable`, so clients can tell
   * "not here" from a bad frame.
   */
  #serving(): ChannelHandlers {
    if (this.#channels === undefined)
      throw new AppError("unavailable", "live channels are not enabled on this gateway");
    return this.#channels;
  }
}
