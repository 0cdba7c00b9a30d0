import { byId, h } from "./dom.js";

/** The match events worth a line; `minute` ticks only move the clock. */
const marks = {
  kickoff: "Kick-off",
  goal: "Goal",
  card: "Card",
  halftime: "Half-time",
  second_half: "Second half",
  fulltime: "Full time",
};

/**
 * The selected match's timeline: kick-off, goals, cards, half-time and full time, from the
 * `scores` channel (its snapshot's recent events, then live), newest first.
 */
export function createMatchTimeline() {
  const list = byId("timeline");
  /** matchId → the match's events in arrival order (bounded by the match itself). */
  const events = new Map();
  let shown;

  function line(match, e) {
    const team =
      e.team === undefined
        ? undefined
        : e.team === "home"
          ? match.home
          : e.team === "away"
            ? match.away
            : e.team;
    const who = [e.player, team].filter(Boolean).join(", ");
    const score =
      e.kind === "goal" || e.kind === "halftime" || e.kind === "fulltime"
        ? ` ${e.score.home}–${e.score.away}`
        : "";
    return h(
      "li",
      { class: `mark ${e.kind}` },
      h("span", { class: "minute" }, `${e.minute}'`),
      " ",
      h("span", { class: "what" }, `${marks[e.kind]}${score}`),
      who === "" ? "" : ` — ${who}`,
    );
  }

  function render() {
    const match = shown;
    const seen = match === undefined ? [] : (events.get(match.matchId) ?? []);
    list.replaceChildren(...seen.map((e) => line(match, e)).reverse());
    byId("timeline-empty").hidden = seen.length > 0 || match === undefined;
  }

  return {
    /** A `match.<id>` event's data; false when it is not a line of a timeline. */
    add(data) {
      if (marks[data.kind] === undefined) return false;
      const list = events.get(data.matchId) ?? [];
      if (list.some((e) => e.kind === data.kind && e.minute === data.minute && e.player === data.player))
        return false;
      list.push(data);
      events.set(data.matchId, list);
      if (shown?.matchId === data.matchId) render();
      return true;
    },
    show(match) {
      shown = match;
      render();
    },
  };
}
