import { credits, h, price } from "./dom.js";
import { outcomeLabel, teamsOf } from "./messages.js";

/**
 * The box that asks the user to confirm an agent's trade (docs/protocol.md "Confirming an agent's
 * trade"): what it buys or sells, at what cost and average price, what it pays if it wins, and a
 * countdown to `timeoutMs`, when the server declines it by itself. `answer(accept)` is called once.
 */
export function confirmBox(frame, agent, answer) {
  const teams = teamsOf(frame.title);
  const what = outcomeLabel(teams, frame.outcome);
  const match = frame.title.split(": ")[0];
  const verb = frame.side === "buy" ? "buy" : "sell";
  const terms =
    frame.side === "buy"
      ? `for at most ${credits(frame.cost)} credits (average ${price(frame.avgPrice)}); it pays ${credits(frame.shares)} credits if ${what} wins.`
      : `for about ${credits(frame.cost)} credits (average ${price(frame.avgPrice)}).`;
  const countdown = h("span", { class: "hint" });
  const accept = h("button", { type: "button" }, "Place trade");
  const decline = h("button", { type: "button", class: "quiet" }, "Decline");
  const box = h(
    "div",
    { class: "confirm", role: "group", "aria-label": "Confirm the agent's trade" },
    h("p", {}, `${agent} wants to ${verb} ${frame.shares} shares of ${what} in ${match} ${terms}`),
    h("div", { class: "actions confirm-actions" }, accept, decline, countdown),
  );
  const deadline = Date.now() + frame.timeoutMs;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = left > 0 ? `Declined by itself in ${left} s` : "";
    if (left === 0) end("Not confirmed in time: declined.");
  };
  const timer = setInterval(tick, 1000);
  tick();
  function end(text) {
    clearInterval(timer);
    box.replaceChildren(h("p", {}, text));
  }
  accept.addEventListener("click", () => {
    answer(true);
    end(`You confirmed: ${verb} ${frame.shares} shares of ${what}. Waiting for the fill…`);
  });
  decline.addEventListener("click", () => {
    answer(false);
    end("You declined the trade.");
  });
  // Focus moves to the question a keyboard or screen-reader user must answer.
  queueMicrotask(() => accept.focus());
  return box;
}
