import { api, byId, h, summary } from "./dom.js";

const toolMarks = { started: "…", finished: "✓", failed: "✗" };

/**
 * Ask one of the eleven agents: `agent.run`, then its stream — text as it is written, tool calls
 * as collapsible lines, a restart (the run moved to another worker) starting the answer over,
 * and the usage or the error at the end. Cancel sends `agent.cancel` for the run's id.
 * @param {{ client: ReturnType<import("./protocol-client.js").createProtocolClient>, context(): object|undefined }} deps
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
  let run;

  function finish(message, failed) {
    meta.textContent = message;
    meta.classList.toggle("error", failed);
    run = undefined;
    askButton.disabled = false;
    cancelButton.disabled = true;
  }

  function tool(frame) {
    let line = calls.get(frame.callId);
    if (line === undefined) {
      line = { summary: h("summary"), body: h("div", { class: "tool-body" }) };
      calls.set(frame.callId, line);
      tools.append(h("details", { class: "tool" }, line.summary, line.body));
    }
    line.summary.textContent = `${toolMarks[frame.status]} ${frame.name}`;
    line.summary.parentElement.dataset.status = frame.status;
    const parts = [];
    if (frame.input !== undefined) parts.push(h("p", {}, h("b", {}, "in "), summary(frame.input, 400)));
    if (frame.output !== undefined) parts.push(h("p", {}, h("b", {}, "out "), summary(frame.output, 400)));
    if (parts.length > 0) line.body.replaceChildren(...parts);
  }

  function clear() {
    text.replaceChildren();
    tools.replaceChildren();
    calls.clear();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "agent.accepted":
        meta.textContent = `${frame.agent} is working${frame.queuedAhead ? ` (${frame.queuedAhead} ahead)` : ""}…`;
        break;
      case "agent.delta":
        text.append(frame.text);
        break;
      case "agent.tool":
        tool(frame);
        break;
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
      case "error":
        finish(`${frame.message}${frame.retryable ? " — try again" : ""}`, true);
        break;
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
    run = client.runAgent(
      { agent: agent.value, input: question.value, ...(ctx === undefined ? {} : { context: ctx }) },
      onFrame,
    );
  });
  cancelButton.addEventListener("click", () => run?.cancel());
  agent.addEventListener("change", () => {
    byId("agent-description").textContent = descriptions.get(agent.value) ?? "";
  });

  return {
    async load() {
      const { agents } = await api("/api/agents");
      for (const a of agents) descriptions.set(a.name, a.description);
      agent.replaceChildren(...agents.map((a) => h("option", { value: a.name }, a.name)));
      agent.dispatchEvent(new Event("change"));
    },
  };
}
