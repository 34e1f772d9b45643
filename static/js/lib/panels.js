// Every plot the app draws from a training run or sweep, by name: the figure it builds.
// Titles and help come with the vocabulary (GET /api/meta "panels"); the explorer, the
// embeds and the lessons all read them from there and the figures from here.
// figure(data, opts): opts go on to the figure ({narrow, width, paramLabel, metric, grad, …}).

import {
  boundaryFigure,
  deadFigure,
  gradientFlowFigure,
  gradientNormsFigure,
  histogramFigure,
  lossFigure,
  preluFigure,
  sparsityFigure,
  sweepCurvesFigure,
  sweepFigure,
} from "./figures.js";

/** The per-layer gradient a trace records for the Gradient menu's choice (meta "gradients"). */
const gradKey = (o) => (o.gradients && o.gradients[o.grad || "input"] ? o.gradients[o.grad || "input"].key : o.grad === "weights" ? "grad_norm_weights" : "grad_norm_input");

export const FIGURES = {
  loss: (t, o = {}) => lossFigure(t, o),
  boundary: (t, o = {}) => boundaryFigure(t, o.frame ?? Infinity, o),
  "gradient-flow": (t, o = {}) => gradientFlowFigure(t, { ...o, key: gradKey(o) }),
  "gradient-norms": (t, o = {}) => gradientNormsFigure(t, { ...o, key: gradKey(o) }),
  sparsity: (t, o = {}) => sparsityFigure(t, o),
  dead: (t, o = {}) => deadFigure(t, o),
  prelu: (t, o = {}) => preluFigure(t, o),
  histogram: (t, o = {}) => histogramFigure(t, o),
  sweep: (s, o = {}) => sweepFigure(s, o.metric || "dead_fraction", { ...o, metricLabel: (o.metrics || {})[o.metric || "dead_fraction"] }),
  "sweep-curves": (s, o = {}) => sweepCurvesFigure(s, o),
};

/** Plots of one panel per activation (side by side, or stacked on a phone). */
export const SUBPLOTS = new Set(["boundary", "gradient-flow", "sweep-curves"]);

/** Plots whose shape their data fix (equal scales on both axes): an embed in a phone-wide frame
 * gives them the phone layout's fitted height, where other plots stretch to fill the frame. */
export const FIXED_ASPECT = new Set(["boundary"]);

/** A panel as a Panel wants it: its title and help (from meta) and its figure (from here). */
export function panelSpec(meta, name) {
  return { ...meta.panels[name], figure: FIGURES[name] };
}
