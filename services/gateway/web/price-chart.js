import { api, byId, h } from "./dom.js";
import { outcomeLabel } from "./messages.js";

/** One colour per outcome, in the market's outcome order; legible on the light and the dark theme. */
const colours = ["#2f7de1", "#e0762f", "#2ea05a", "#b04fc4"];

let library;

/**
 * uPlot, loaded the first time a chart is shown so the sign-in page never pays for it. Its
 * minified build is a classic script defining `uPlot` (served from this origin, web-client.ts).
 */
function loadLibrary() {
  library ??= new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: "/vendor/uplot.css" }));
    const script = h("script", { src: "/vendor/uplot.js" });
    script.addEventListener("load", () => resolve(globalThis.uPlot));
    script.addEventListener("error", () => reject(new Error("the chart library did not load")));
    document.head.append(script);
  });
  return library;
}

/**
 * The price history of one market (`GET /api/markets/:marketId/history`), one line per outcome,
 * extended by every `prices` event of that market, with a dashed line at half-time when the
 * match reaches it. Times on the x axis are the wall clock (seconds, as uPlot takes them).
 * @param {{ teams(): {home: string, away: string}|undefined }} deps
 */
export function createPriceChart({ teams }) {
  const holder = byId("chart");
  const caption = byId("chart-caption");
  let plot;
  let market;
  /** [times, ...one price array per outcome] */
  let data;
  /** Wall-clock seconds of the shown match's half-time, once seen. */
  let halfTimeAt;

  function drawHalfTime(u) {
    if (halfTimeAt === undefined) return;
    const x = Math.round(u.valToPos(halfTimeAt, "x", true));
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = "#8a94a3";
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.fillStyle = "#8a94a3";
    ctx.fillText("HT", x + 4, u.bbox.top + 12);
    ctx.restore();
    // The canvas is opaque to tests and screen readers: the marker is also stated on the holder.
    holder.dataset.halfTime = "shown";
  }

  function options(m) {
    return {
      width: Math.max(240, holder.clientWidth),
      height: 180,
      scales: { y: { range: [0, 1] } },
      series: [
        {},
        ...m.outcomes.map((outcome, i) => ({
          label: outcomeLabel(teams(), outcome),
          stroke: colours[i % colours.length],
          width: 2,
          value: (_u, v) => (v == null ? "–" : v.toFixed(3)),
        })),
      ],
      axes: [{ stroke: "#8a94a3" }, { stroke: "#8a94a3", size: 40 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      hooks: { draw: [drawHalfTime] },
    };
  }

  function append(atSeconds, prices) {
    const last = data[0].at(-1);
    // uPlot wants strictly increasing times: a second point within the same second replaces it.
    if (last !== undefined && atSeconds <= last) {
      for (let i = 0; i < market.outcomes.length; i++)
        data[i + 1][data[0].length - 1] = prices[market.outcomes[i]];
      return;
    }
    data[0].push(atSeconds);
    for (let i = 0; i < market.outcomes.length; i++) data[i + 1].push(prices[market.outcomes[i]]);
  }

  return {
    /** Charts `m` (a market view): its history, then live. */
    async show(m) {
      market = m;
      caption.textContent = `Price history — ${m.title}`;
      const [uPlot, history] = await Promise.all([
        loadLibrary(),
        api(`/api/markets/${encodeURIComponent(m.marketId)}/history`),
      ]);
      if (market !== m) return;
      data = [[], ...m.outcomes.map(() => [])];
      for (const point of history.points) append(Date.parse(point.at) / 1000, point.prices);
      append(Date.now() / 1000, m.prices);
      plot?.destroy();
      plot = new uPlot(options(m), data, holder);
      holder.dataset.points = String(data[0].length);
    },
    /** A `prices` event: the shown market's line grows by one point. */
    extend(event) {
      if (plot === undefined || event.marketId !== market?.marketId) return;
      append(Date.now() / 1000, event.prices);
      plot.setData(data);
      holder.dataset.points = String(data[0].length);
    },
    /** The shown match reached half-time now. */
    halfTime() {
      halfTimeAt = Date.now() / 1000;
      plot?.redraw();
    },
    /** Another match was picked: its half-time is not known yet. */
    reset() {
      halfTimeAt = undefined;
      delete holder.dataset.halfTime;
      market = undefined;
      plot?.destroy();
      plot = undefined;
      caption.textContent = "";
      holder.dataset.points = "0";
    },
    resize() {
      plot?.setSize({ width: Math.max(240, holder.clientWidth), height: 180 });
    },
  };
}
