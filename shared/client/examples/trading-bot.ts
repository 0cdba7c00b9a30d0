/**
 * A bot that asks the trading agent about the next fixture and trades on an explicit
 * recommendation, within a stake cap:
 *
 *   npx tsx shared/client/examples/trading-bot.ts --url http://127.0.0.1:8080 --stake-cap 20
 *
 * The recommendation it trades on is the agent's own `getValue` finding (an `agent.tool` frame:
 * the model's probability against the market price for every outcome) with an edge above
 * `--min-edge`, the threshold at which the agent calls it value; the bot never reads a number
 * out of prose. It quotes first, buys only if the cost is within the cap, and sends the cap as
 * `maxCost`, so a price that moves in between cannot make it pay more.
 */
import { type AgentStreamFrame, connect, ProtocolError } from "../mod.js";
import { exampleOptions, webSocketClass } from "./options.js";

interface ValueLine {
  marketId: string;
  outcome: string;
  model: number;
  price?: number;
  edge?: number;
}

const { values, base, wsUrl, getToken } = exampleOptions({
  "stake-cap": { type: "string", default: "20" },
  "min-edge": { type: "string", default: "0.02" },
});
const stakeCap = Number(values["stake-cap"]);
const minEdge = Number(values["min-edge"]);

const matches = (await (await fetch(`${base}/api/matches?status=scheduled`)).json()) as {
  matches: { matchId: string; home: string; away: string; kickoff: string }[];
};
const fixture = matches.matches.sort((a, b) => a.kickoff.localeCompare(b.kickoff))[0];
if (fixture === undefined) {
  console.log("no fixture left to play");
  process.exit(0);
}

const client = connect({ url: wsUrl, getToken, WebSocket: await webSocketClass() });
client.onState((s) => {
  if (s.state !== "online") console.error(`[connection ${s.state}]`);
});
try {
  console.log(`asking the trading agent about ${fixture.home} v ${fixture.away}`);
  const run = client.run({ intent: "trade" }, `Where is the value in ${fixture.home} v ${fixture.away}?`, {
    context: { matchId: fixture.matchId },
  });
  let text = "";
  let lines: ValueLine[] = [];
  let last: AgentStreamFrame | undefined;
  for await (const frame of run) {
    last = frame;
    if (frame.type === "agent.restart") {
      // The run moved to another worker and starts over: what was said so far no longer stands.
      text = "";
      lines = [];
    } else if (frame.type === "agent.delta") {
      text += frame.text;
    } else if (frame.type === "agent.tool" && frame.name === "getValue" && frame.status === "finished") {
      lines = (frame.output as { lines: ValueLine[] }).lines;
    }
  }
  console.log(`agent: ${text}`);
  if (last?.type !== "agent.done" || last.stopReason !== "end_turn") {
    console.log("the run did not finish: no trade");
  } else {
    const best = lines
      .filter((l) => l.edge !== undefined && l.price !== undefined)
      .sort((a, b) => b.edge! - a.edge!)[0];
    if (best === undefined || best.edge! <= minEdge) {
      console.log(`no recommendation above an edge of ${minEdge}: no trade`);
    } else {
      // Shares at the quoted price that fit the cap; the quote has the price impact in it.
      const shares = Math.floor((stakeCap / best.price!) * 0.9 * 100) / 100;
      const quote = await client.quote({
        marketId: best.marketId,
        outcome: best.outcome,
        side: "buy",
        shares,
      });
      if (quote.cost > stakeCap) {
        console.log(`${shares} shares would cost ${quote.cost}, over the cap of ${stakeCap}: no trade`);
      } else {
        const fill = await client.trade({
          marketId: best.marketId,
          outcome: best.outcome,
          side: "buy",
          shares,
          maxCost: stakeCap,
        });
        console.log(
          `TRADE bought ${fill.shares} ${fill.outcome} in ${fill.marketId} for ${fill.cost} (edge ${best.edge}); balance ${fill.balance}`,
        );
      }
    }
  }
} catch (error) {
  if (!(error instanceof ProtocolError)) throw error;
  console.log(`refused: ${error.code} ${error.message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
