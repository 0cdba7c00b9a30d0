import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * A Vega-Lite chart as an SVG string, rendered in Node without a canvas (the "none" renderer
 * only lays out; `toSVG` writes the marks). Text is measured by Vega's built-in estimate, so
 * labels may sit a few pixels off where a browser would put them. Used for docs/capacity.md's
 * curves and the model evaluation's reliability diagrams.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
