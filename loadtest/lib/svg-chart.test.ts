import assert from "node:assert/strict";
import { test } from "node:test";
import { renderSvg } from "./svg-chart.js";

test("a Vega-Lite line chart renders to an SVG with its title, axis titles and one line per series", async () => {
  const svg = await renderSvg({
    title: "cores by users",
    data: {
      values: [
        { users: 100, cores: 0.2, kind: "gateway" },
        { users: 200, cores: 0.4, kind: "gateway" },
        { users: 100, cores: 0.1, kind: "exchange" },
        { users: 200, cores: 0.3, kind: "exchange" },
      ],
    },
    mark: "line",
    encoding: {
      x: { field: "users", type: "quantitative", title: "users held" },
      y: { field: "cores", type: "quantitative", title: "cores busy" },
      color: { field: "kind", type: "nominal" },
    },
  });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const text of ["cores by users", "users held", "cores busy", "gateway", "exchange"]) {
    assert.ok(svg.includes(`>${text}<`), `no text "${text}" in the SVG`);
  }
  // One drawn line per series, through both of its points.
  const lines = svg.match(/aria-roledescription="line mark" d="M[\d.,]+L[\d.,]+"/g) ?? [];
  assert.equal(lines.length, 2, svg.slice(0, 400));
});
