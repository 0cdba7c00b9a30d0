import { confirmBox } from "./agent-confirm.js";
import { api, byId, h, summary } from "./dom.js";

const toolMarks = { started: "…", finished: "✓", failed: "✗" };

/**
 * Ask one of the eleven agents: `agent.run`, then its stream — text as it is written, tool calls
 * as collapsible lines, a restart (the run moved to another worker) starting the answer over,
 * and the usage or the error at the end. Cancel sends `agent.cancel` for the run's id. Runs opt in
 * to confirm trades: an `agent.confirm` shows a box to place or decline the trade, and the trades
 * confirmed are remembered so Activity can say which agent's fill arrived.
 * The client library (shared/client/README.md) resumes the run across reconnects, each frame once.
 * @param {{ client: import("../../../shared/client/mod.ts").PlatformClient, context(): object|undefined }} deps
 */
export function createAgentPanel({ client, context }) {
  const form = byId("ask");
  const agent = byId("agent");
  const question = byId("question");
  const askButton = byId("ask-button");
  const cancelButton = byId("cancel");
  const text = byId("answer-text");
  const tools = byId("tools");
  const meta = byId("answer-meta");
  /** callId → the tool call's line. */
  const calls = new Map();
  const descriptions = new Map();
  /** Trades the user confirmed, not yet seen filled: {agent, marketId, outcome, side, shares}. */
  const confirmed = [];
  let run;
  let runAgentName;

  function finish(message, failed) {
    meta.textContent = message;
    meta.classList.toggle("error", failed);
    run = undefined;
    askButton.disabled = false;
    cancelButton.disabled = true;
  }

  /**
   * A tool call's line. Its input stays shown once the call finishes (a `finished` frame may carry
   * only the output), in the summary line and in full beside the output.
   */
  function tool(frame) {
    let line = calls.get(frame.callId);
    if (line === undefined) {
      line = { summary: h("summary"), body: h("div", { class: "tool-body" }) };
      calls.set(frame.callId, line);
      tools.append(h("details", { class: "tool" }, line.summary, line.body));
    }
    if (frame.input !== undefined) line.input = frame.input;
    if (frame.output !== undefined) line.output = frame.output;
    const args = line.input === undefined ? "" : ` ${summary(line.input, 80)}`;
    line.summary.textContent = `${toolMarks[frame.status]} ${frame.name}${args}`;
    line.summary.parentElement.dataset.status = frame.status;
    const parts = [];
    if (line.input !== undefined) parts.push(h("p", {}, h("b", {}, "in "), summary(line.input, 400)));
    if (line.output !== undefined) parts.push(h("p", {}, h("b", {}, "out "), summary(line.output, 400)));
    line.body.replaceChildren(...parts);
  }

  function clear() {
    text.replaceChildren();
    tools.replaceChildren();
    calls.clear();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "agent.accepted":
        runAgentName = frame.agent;
        meta.textContent = `${frame.agent} is working${frame.queuedAhead ? ` (${frame.queuedAhead} ahead)` : ""}…`;
        break;
      case "agent.delta":
        text.append(frame.text);
        break;
      case "agent.tool":
        tool(frame);
        break;
      case "agent.confirm": {
        const asked = run;
        const agentName = runAgentName;
        tools.append(
          confirmBox(frame, agentName, (accept) => {
            asked?.confirm(frame.confirmId, accept);
            if (accept) confirmed.push({ agent: agentName, ...frame });
          }),
        );
        break;
      }
      case "agent.restart":
        clear();
        meta.textContent = `Moved to another worker (attempt ${frame.attempt}); starting over…`;
        break;
      case "agent.done": {
        const { inputTokens, outputTokens } = frame.usage;
        const how = frame.stopReason === "end_turn" ? "Done" : `Stopped (${frame.stopReason})`;
        finish(`${how} · ${inputTokens} tokens in, ${outputTokens} out`, false);
        break;
      }
      case "agent.error":
        finish(`${frame.message}${frame.retryable ? " — try again" : ""}`, true);
        break;
    }
  }

  /** Shows `asked`'s frames while it is the run on screen; a refused run (`ProtocolError`) as its error. */
  async function follow(asked) {
    try {
      const accepted = await asked.accepted;
      if (run === asked) onFrame(accepted);
      for await (const frame of asked) if (run === asked) onFrame(frame);
    } catch (err) {
      if (run === asked) finish(`${err.message}${err.retryable ? " — try again" : ""}`, true);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clear();
    meta.classList.remove("error");
    meta.textContent = "Sending…";
    askButton.disabled = true;
    cancelButton.disabled = false;
    const ctx = context();
    run = client.run({ agent: agent.value }, question.value, {
      confirmTrades: true,
      ...(ctx === undefined ? {} : { context: ctx }),
    });
    follow(run);
  });
  cancelButton.addEventListener("click", () => run?.cancel());
  agent.addEventListener("change", () => {
    byId("agent-description").textContent = descriptions.get(agent.value) ?? "";
  });

  return {
    /** The agent whose confirmed trade `trade` (a `user` fill) is, once; undefined for any other. */
    claim(trade) {
      const i = confirmed.findIndex(
        (c) =>
          c.marketId === trade.marketId &&
          c.outcome === trade.outcome &&
          c.side === trade.side &&
          c.shares === trade.shares,
      );
      return i < 0 ? undefined : confirmed.splice(i, 1)[0].agent;
    },
    async load() {
      const { agents } = await api("/api/agents");
      for (const a of agents) descriptions.set(a.name, a.description);
      agent.replaceChildren(...agents.map((a) => h("option", { value: a.name }, a.name)));
      agent.dispatchEvent(new Event("change"));
    },
  };
}
