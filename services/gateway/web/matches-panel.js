import { byId, flash, h, kickoffTime } from "./dom.js";

/**
 * The fixtures panel: live matches (minute and score, moved by `scores` events) above the
 * upcoming ones, and finished ones below, so a round's results never sit above the next round
 * being played. Rows are updated in place, so keyboard focus survives a goal.
 * @param {{ onSelect(match): void }} handlers
 */
export function createMatchesPanel({ onSelect }) {
  const live = byId("live-list");
  const upcoming = byId("upcoming-list");
  const finished = byId("finished-list");
  /** matchId → { match, row, state } */
  const rows = new Map();
  let selected;

  function add(match) {
    const state = h("span", { class: "state" });
    const button = h(
      "button",
      { type: "button", class: "match", "aria-pressed": "false", onclick: () => select(match.matchId) },
      h("span", { class: "teams" }, `${match.home} v ${match.away}`),
      state,
    );
    const row = h("li", { "data-match": match.matchId }, button);
    rows.set(match.matchId, { match, row, button, state });
    render(match.matchId);
  }

  function render(matchId) {
    const { match, row, state } = rows.get(matchId);
    if (match.status === "scheduled") {
      state.textContent = kickoffTime(match.kickoff);
      if (row.parentElement !== upcoming) upcoming.append(row);
      return;
    }
    const score = match.score ?? { home: 0, away: 0 };
    const done = match.status === "finished";
    state.textContent = `${score.home}–${score.away} · ${done ? "FT" : `${match.minute ?? 0}'`}`;
    const list = done ? finished : live;
    if (row.parentElement === list) {
      // Already where it belongs.
    } else if (done) list.prepend(row);
    else list.append(row);
    byId("finished-title").hidden = finished.children.length === 0;
    byId("live-empty").hidden = live.children.length > 0;
  }

  function select(matchId) {
    const entry = rows.get(matchId);
    if (entry === undefined) return;
    if (selected !== undefined) rows.get(selected)?.button.setAttribute("aria-pressed", "false");
    selected = matchId;
    entry.button.setAttribute("aria-pressed", "true");
    onSelect(entry.match);
  }

  return {
    load(matches) {
      for (const match of matches) if (!rows.has(match.matchId)) add(match);
    },
    has: (matchId) => rows.has(matchId),
    match: (matchId) => rows.get(matchId)?.match,
    /** A `match.<id>` event's data; `fresh` is false for a snapshot's catch-up. */
    apply(data, fresh) {
      const entry = rows.get(data.matchId);
      if (entry === undefined) return;
      const { match } = entry;
      match.status = data.kind === "fulltime" ? "finished" : "live";
      match.minute = data.minute;
      match.score = data.score;
      render(data.matchId);
      if (data.kind === "goal" && fresh) flash(entry.row, "goal");
    },
  };
}
