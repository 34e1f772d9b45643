// Plotly figures for the lessons, built from a lesson's /api/lessons/{slug}/measure response
// (its `data`). Builders: (data, {big, narrow, width}) → {data, layout}. Where the
// explorer already has the figure (gradient flow, sweeps) it is reused from lib/figures.js,
// with its phone layout on a narrow screen (such a figure sets its own height). Every figure
// then passes through fitPlot (FIGURES, at the end): one set of rules for a small plot area.

import { fewLogTicks, gradientFlowFigure, rgba, sweepCurvesFigure, sweepFigure, textPx, touchScreen, viridis, wrapText } from "../lib/figures.js";
import { baseLayout, colours, currentTheme, seriesStyle } from "../lib/theme.js";

const pctAxis = { range: [-0.02, 1.05], tickformat: ".0%" };

function line(x, y, name, i, extra = {}) {
  const { color, dash } = seriesStyle(i);
  return { x, y, name, type: "scatter", mode: "lines", line: { color, dash, width: 3 }, ...extra };
}

/** A filled band between lo and hi (two traces, the second filling to the first). */
function band(x, lo, hi, i, name, opacity = 0.18) {
  const { color } = seriesStyle(i);
  return [
    { x, y: lo, type: "scatter", mode: "lines", line: { width: 0, color }, hoverinfo: "skip", showlegend: false },
    { x, y: hi, type: "scatter", mode: "lines", line: { width: 0, color }, fill: "tonexty", fillcolor: rgba(color, opacity), name, hoverinfo: "skip", showlegend: false },
  ];
}

function hline(y, { dash = "dash", color = null } = {}) {
  const c = colours();
  return { type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, layer: "below", line: { color: color || c.zero, width: 1.5, dash } };
}

function layoutWith(big, patch) {
  const layout = baseLayout({ big });
  layout.legend = { ...layout.legend, traceorder: "normal" }; // filled bands would reverse it
  for (const [k, v] of Object.entries(patch)) {
    layout[k] = typeof v === "object" && !Array.isArray(v) && layout[k] ? { ...layout[k], ...v } : v;
  }
  return layout;
}

const title = (text) => ({ text });

/** The k-th of n ordered lines, dark → light, short of viridis' pale yellow on a light
 * background (faint on white) and of its darkest purple on a dark one. */
function orderedColour(k, n) {
  const [from, to] = currentTheme() === "light" ? [0, 0.58] : [0.3, 1]; // light: every line ≥ 3:1 against white
  return viridis(from + (n > 1 ? ((to - from) * k) / (n - 1) : 0));
}

// Neighbouring ordered lines also differ in dash, so close shades stay apart.
const ORDERED_DASHES = ["solid", "dash", "dot", "dashdot"];
const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)}\u202f%`);

// ----------------------------------------------------------------------------- 1. sparse activation

function sparseActive(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    const { color } = seriesStyle(i);
    data.push({
      x: d.layers,
      y: s.per_layer,
      name: `${s.label}: ${pct(s.overall)}`,
      type: "scatter",
      mode: "lines+markers",
      // leaky ReLU and tanh overlap at 100 %: the one drawn first is wider, so both show
      line: { color, width: [3, 8, 3][i] || 3, dash: seriesStyle(i).dash },
      marker: { color, size: ([10, 17, 9][i] || 9) * (big ? 1.25 : 1) },
      error_y: { type: "data", symmetric: false, array: s.per_layer_max.map((v, j) => v - s.per_layer[j]), arrayminus: s.per_layer.map((v, j) => v - s.per_layer_min[j]), color: rgba(color, 0.6), thickness: 1.5 },
      hovertemplate: `layer %{x}: %{y:.1%}<extra>${s.label}</extra>`,
    });
  });
  const c = colours();
  const layout = layoutWith(big, {
    xaxis: { title: title("hidden layer (1 = input side)"), dtick: 1 },
    yaxis: { title: title("units with non-zero output"), ...pctAxis },
  });
  layout.shapes = [
    { type: "rect", xref: "paper", x0: 0, x1: 1, y0: 0.45, y1: 0.55, line: { width: 0 }, fillcolor: rgba(c.muted || "#777777", 0.16), layer: "below" },
    hline(0.5),
  ];
  layout.annotations = [{ xref: "paper", x: 1, y: 0.55, yanchor: "bottom", xanchor: "right", text: "claim: about 50 %", showarrow: false, font: { color: c.muted } }];
  layout.margin.t = 48;
  return { data, layout };
}

function sparseHistogram(d, { big, narrow }) {
  const e = d.histogram.edges;
  const centres = e.slice(0, -1).map((v, j) => (v + e[j + 1]) / 2);
  const n = d.histogram.layers.length;
  const data = d.histogram.layers.map((h, l) => ({
    x: centres,
    y: h.counts,
    type: "scatter",
    mode: "lines",
    line: { color: orderedColour(l, n), width: big ? 3.5 : 2.5, shape: "hvh" },
    name: `layer ${l + 1}: ${pct(h.positive)} above 0`,
    hovertemplate: `z ≈ %{x:.2f}: %{y:.1%}<extra>layer ${l + 1}</extra>`,
  }));
  const c = colours();
  const layout = layoutWith(big, {
    xaxis: { title: title("pre-activation z"), zeroline: false },
    yaxis: { title: title("share of (unit, input) pairs"), tickformat: ".0%", rangemode: "tozero" },
  });
  layout.shapes = [
    { type: "rect", xref: "x", yref: "paper", x0: e[0], x1: 0, y0: 0, y1: 1, line: { width: 0 }, fillcolor: rgba(c.muted || "#777777", 0.12), layer: "below" },
    { type: "line", xref: "x", yref: "paper", x0: 0, x1: 0, y0: 0, y1: 1, line: { color: c.text, width: 2 } },
  ];
  layout.annotations = [
    { xref: "x", yref: "paper", x: e[0] / 2, y: 0.98, text: "ReLU off (z ≤ 0)", showarrow: false, font: { color: c.muted } },
    { xref: "x", yref: "paper", x: e[e.length - 1] / 2, y: 0.98, text: "on (z > 0)", showarrow: false, font: { color: c.muted } },
  ];
  // inside the plot, right of the peak; a phone has no room there (it lay over the peak): the default, above
  if (!narrow) layout.legend = { ...layout.legend, orientation: "v", x: 1, xanchor: "right", y: 0.9, yanchor: "top" };
  return { data, layout };
}

// ----------------------------------------------------------------------------- 2. vanishing gradients

function vanishingNorms(d, { big }) {
  const data = [];
  d.init.forEach((s, i) => {
    data.push(...band(d.layers, s.min, s.max, i, `${s.label} seeds`));
    data.push({ ...line(d.layers, s.mean, `${s.label}: first ÷ last = ${fmtRatio(s.ratio)}`, i), mode: "lines+markers", marker: { color: seriesStyle(i).color, size: big ? 11 : 8 } });
  });
  const layout = layoutWith(big, {
    xaxis: { title: title("hidden layer (1 = input side)"), dtick: 1 },
    yaxis: { title: title("‖∂L/∂W‖ at initialisation"), type: "log", exponentformat: "power" },
  });
  layout.margin.t = 56;
  return { data, layout };
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** 0.40, 2.6 × 10⁻⁵ (as the readouts write numbers). */
export function fmtNumber(r, digits = 2) {
  if (r === null || r === undefined || !Number.isFinite(r)) return "—";
  if (r !== 0 && (Math.abs(r) < 1e-3 || Math.abs(r) >= 1e5)) {
    const [m, e] = r.toExponential(digits - 1).split("e");
    const power = `10${String(Number(e)).replace(/./g, (ch) => SUPERSCRIPT[ch] || ch)}`;
    return Number(m) === 1 ? power : `${m} × ${power}`;
  }
  return r.toPrecision(digits);
}
const fmtRatio = (r) => fmtNumber(r, 2);

function vanishingFlow(d, { big, narrow, width }) {
  const fig = gradientFlowFigure(d.trace, { big, key: "grad_norm_weights", narrow, width });
  // on a slide the panels' titles (sigmoid, tanh, ReLU) read at the axis titles' size
  if (big && !narrow) {
    const text = (t) => (t.length > 10 && !t.includes("<br>") ? t.replace(" ", "<br>") : t); // "Logistic<br>sigmoid"
    fig.layout.annotations = (fig.layout.annotations || []).map((a) => ({ ...a, text: text(a.text), font: { ...a.font, size: 18 } }));
    fig.layout.margin.t = Math.max(fig.layout.margin.t, fig.layout.annotations.some((a) => a.text.includes("<br>")) ? 64 : 40);
  }
  return fig;
}

// ----------------------------------------------------------------------------- 3. dying ReLU

function dyingSweep(d, { big }) {
  const fig = sweepFigure(d, "dead_fraction", { big, metricLabel: "units dead after training" });
  d.series.forEach((s, i) => {
    const { color } = seriesStyle(i);
    fig.data.push({ x: d.values, y: s.dead_at_init, type: "scatter", mode: "lines", name: `${s.label}: dead at init`, line: { color: rgba(color, 0.6), dash: "dot", width: 2 } });
  });
  fig.layout.yaxis = { ...fig.layout.yaxis, tickformat: ".0%" };
  fig.layout.margin.t = 56;
  return fig;
}

function dyingCurves(d, { big, narrow, width }) {
  const fig = sweepCurvesFigure(d, { big, key: "dead_fraction_curve", label: "units dead", narrow, width });
  for (const k of Object.keys(fig.layout)) if (k.startsWith("yaxis")) fig.layout[k] = { ...fig.layout[k], ...pctAxis };
  const n = d.values.length;
  for (const t of fig.data) {
    t.name = t.name.replace(/^learning_rate=/, "");
    const j = Number(String(t.legendgroup).slice(3)); // legendgroup "val<j>": the j-th learning rate
    t.line = { ...t.line, color: orderedColour(j, n), dash: ORDERED_DASHES[j % ORDERED_DASHES.length], width: big ? 3.5 : 2.5 };
  }
  // the panels' titles (ReLU, leaky ReLU) as large as the axis titles on a slide
  // (centred over their panels: Plotly's "auto" anchors them by thirds of the paper, so large ones collide)
  if (big) fig.layout.annotations = (fig.layout.annotations || []).map((a) => ({ ...a, xanchor: "center", font: { ...a.font, size: 22 } }));
  // a phone keeps the explorer's legend under the stacked plots
  if (!narrow) fig.layout.legend = { ...fig.layout.legend, orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top", title: { text: "learning rate" } };
  return fig;
}

// ----------------------------------------------------------------------------- 4. scale invariance

function scaleSides(d, { big }) {
  const data = [];
  const shown = d.curves.filter((c) => c.activation === "relu" || c.activation === d.compare);
  // f(a·x) as a wide pale line, a·f(x) dashed on top: where they agree the dashes run inside the halo
  shown.forEach((c, i) => {
    const { color } = seriesStyle(i);
    data.push(line(d.x, c.lhs, `${c.label}: f(a·x)`, i, { line: { color: rgba(color, 0.35), width: big ? 12 : 9 } }));
  });
  shown.forEach((c, i) => {
    const { color } = seriesStyle(i);
    data.push(line(d.x, c.rhs, `${c.label}: a·f(x)`, i, { line: { color, width: 2.5, dash: "dash" } }));
  });
  const layout = layoutWith(big, { xaxis: { title: title("x") }, yaxis: { title: title(`both sides, a = ${d.a}`) } });
  layout.hovermode = "x unified";
  layout.margin.t = 56;
  return { data, layout };
}

function scaleError(d, { big }) {
  const data = d.curves.map((c, i) => line(d.x, c.error, `${c.label}: max ${c.max_error === 0 ? "0" : c.max_error.toPrecision(3)}`, i, { line: { color: seriesStyle(i).color, width: c.activation === "relu" ? 5 : 2.5, dash: seriesStyle(i).dash } }));
  const layout = layoutWith(big, { xaxis: { title: title("x") }, yaxis: { title: title("|f(a·x) − a·f(x)|"), rangemode: "tozero" } });
  layout.hovermode = "x unified";
  layout.margin.t = 56;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 5. softplus

function softplusDerivative(d, { big }) {
  const nonzero = (arr) => arr.map((v) => (v > 0 ? v : null));
  const data = [
    line(d.x, d.derivative, "softplus′(x)", 0, { line: { color: seriesStyle(0).color, width: 5 } }),
    line(d.x, d.logistic, "1 / (1 + e^(−x))", 1, { line: { color: seriesStyle(1).color, width: 3, dash: "dash" } }),
    { x: d.x, y: nonzero(d.difference), type: "scatter", mode: "markers", marker: { size: 4, color: seriesStyle(0).color }, name: "|softplus′ − logistic| (0 is not drawn)", yaxis: "y2" },
    { x: d.x, y: nonzero(d.fd_difference), type: "scatter", mode: "lines", line: { color: seriesStyle(2).color, width: 2 }, name: "|finite-difference slope − logistic|", yaxis: "y2" },
  ];
  const layout = layoutWith(big, { xaxis: { title: title("x"), anchor: "y2" } });
  layout.yaxis = { ...layout.yaxis, domain: [0.42, 1], title: title("slope") };
  layout.yaxis2 = { ...baseLayout({ big }).yaxis, domain: [0, 0.3], type: "log", exponentformat: "power", title: title("difference"), range: [-17, -5] };
  layout.margin.t = 56;
  return { data, layout };
}

function softplusApproach(d, { big }) {
  const c = colours();
  const data = d.curves.map((cv, i) => line(d.x, cv.y, `softplus, β = ${cv.beta}`, i, { line: { color: seriesStyle(i).color, width: cv.beta === d.beta ? 4 : 2.5, dash: seriesStyle(i).dash } }));
  data.push({ x: d.x, y: d.relu, type: "scatter", mode: "lines", name: "ReLU", line: { color: c.text, width: 2, dash: "dot" } });
  const layout = layoutWith(big, { xaxis: { title: title("x") }, yaxis: { title: title("f(x)") } });
  layout.hovermode = "x unified";
  layout.margin.t = 40;
  return { data, layout };
}

function softplusGap(d, { big }) {
  const c = colours();
  const { color } = seriesStyle(0);
  const data = [
    { x: d.betas, y: d.predicted, type: "scatter", mode: "lines", name: "(log 2)/β", line: { color: c.muted, width: 2, dash: "dash" } },
    { x: d.betas, y: d.gaps, type: "scatter", mode: "markers", name: "measured max |softplusᵦ − ReLU|", marker: { color, size: d.betas.map((b) => (b === d.beta ? (big ? 20 : 16) : big ? 12 : 9)), symbol: d.betas.map((b) => (b === d.beta ? "diamond" : "circle")) } },
  ];
  const layout = layoutWith(big, {
    xaxis: { title: title("β (sharpness)"), type: "log", tickvals: d.betas, ticktext: d.betas.map(String) },
    yaxis: { title: title("largest gap to ReLU"), type: "log", tickvals: d.predicted, ticktext: d.predicted.map((v) => v.toPrecision(2)) },
  });
  layout.margin.t = 40;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 6. zero-centred

function zeroMeans(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    const avg = s.mean.map((row) => (row.some((v) => v === null) ? null : row.reduce((a, b) => a + b, 0) / row.length));
    const lo = s.mean.map((row) => (row.some((v) => v === null) ? null : Math.min(...row)));
    const hi = s.mean.map((row) => (row.some((v) => v === null) ? null : Math.max(...row)));
    data.push(...band(d.frames, lo, hi, i, `${s.label} layers`));
    data.push(line(d.frames, avg, s.label, i));
  });
  const layout = layoutWith(big, { xaxis: { title: title("epoch") }, yaxis: { title: title("mean activation (over layers)") } });
  layout.shapes = [hline(0, { color: colours().text })];
  layout.hovermode = "x unified";
  layout.margin.t = 40;
  return { data, layout };
}

function zeroLayers(d, { big }) {
  const data = [];
  const last = d.frames.length - 1;
  d.series.forEach((s, i) => {
    const { color } = seriesStyle(i);
    data.push({ x: d.layers, y: s.mean[0], type: "scatter", mode: "lines+markers", name: `${s.label} at init`, line: { color, dash: "dot", width: 2 }, marker: { color, size: big ? 10 : 7 } });
    data.push({ x: d.layers, y: s.mean[last], type: "scatter", mode: "lines+markers", name: `${s.label} at epoch ${d.frames[last]}`, line: { color, width: 3 }, marker: { color, size: big ? 12 : 9, symbol: "diamond" } });
  });
  const layout = layoutWith(big, { xaxis: { title: title("hidden layer (1 = input side)"), dtick: 1 }, yaxis: { title: title("mean activation") } });
  layout.shapes = [hline(0, { color: colours().text })];
  layout.margin.t = 56;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 7. kink at zero

function kinkSlopes(d, { big }) {
  const data = [];
  const sets = [d.relu];
  if (d.chosen.activation !== "relu") sets.push(d.chosen);
  sets.forEach((s, i) => {
    const { color } = seriesStyle(i);
    data.push({ x: d.steps, y: s.right, type: "scatter", mode: "lines+markers", name: `${s.label}: (f(h) − f(0))/h`, line: { color, width: 3 }, marker: { color, size: big ? 11 : 8 } });
    data.push({ x: d.steps, y: s.left, type: "scatter", mode: "lines+markers", name: `${s.label}: (f(0) − f(−h))/h`, line: { color, width: 3, dash: "dash" }, marker: { color, size: big ? 11 : 8, symbol: "square" } });
  });
  const layout = layoutWith(big, {
    xaxis: { title: title("step h (shrinking →)"), type: "log", autorange: "reversed", exponentformat: "power" },
    yaxis: { title: title("one-sided slope at 0") },
  });
  layout.margin.t = 56;
  return { data, layout };
}

function kinkDistance(d, { big }) {
  const e = d.distance.edges;
  // each bar spans its own bin on the log axis (from its left edge, as wide as the bin): Plotly's
  // default width, from the smallest spacing of the bars' centres, drew hairlines; the first bin,
  // from 0, is drawn as wide (in decades) as the next one
  const lo = e.slice(0, -1).map((v, j) => (v > 0 ? v : e[j + 1] / (e[j + 2] / e[j + 1] || 10)));
  const hi = e.slice(1);
  const range = (j) => (e[j] > 0 ? `${fmtNumber(e[j])} to ${fmtNumber(e[j + 1])}` : `below ${fmtNumber(e[j + 1])}`);
  const data = [
    {
      x: lo,
      y: d.distance.counts,
      width: lo.map((v, j) => hi[j] - v),
      offset: 0,
      customdata: lo.map((_, j) => range(j)),
      type: "bar",
      name: "pre-activations",
      marker: { color: seriesStyle(0).color, line: { color: colours().bg, width: 1 } },
      hovertemplate: "distance %{customdata}: %{y}<extra></extra>",
    },
  ];
  const layout = layoutWith(big, {
    xaxis: { title: title(`distance of z to ${d.distance.to || "the kink"} (log scale)`), type: "log", exponentformat: "power" },
    yaxis: { title: title("count"), rangemode: "tozero" },
  });
  // (above the plot: inside it the note covered the tallest bars on a small screen; under a
  // touch screen's modebar, which is always shown)
  layout.annotations = [{ xref: "paper", yref: "paper", x: 0, y: 1, yanchor: "bottom", yshift: 4, xanchor: "left", showarrow: false, text: `exactly on ${d.distance.to || "the kink"}: ${d.distance.hits.toLocaleString("en")} of ${d.distance.total.toLocaleString("en")}`, font: { size: big ? 20 : 14 } }];
  layout.margin.t = (big ? 40 : 30) + (touchScreen() ? 24 : 0);
  layout.showlegend = false;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 8. noisy ReLU

function noisyMean(d, { big }) {
  const c = colours();
  const { color } = seriesStyle(0);
  const data = [
    ...band(d.x, d.band.low, d.band.high, 0, "5–95 % band"),
    { x: d.samples.x, y: d.samples.y, type: "scatter", mode: "markers", name: "single draws", marker: { color: rgba(color, 0.45), size: big ? 6 : 4 } },
    { x: d.x, y: d.relu, type: "scatter", mode: "lines", name: "ReLU", line: { color: c.muted, width: 2, dash: "dot" } },
    { x: d.x, y: d.mean, type: "scatter", mode: "lines", name: "E[f(x)] (formula)", line: { color, width: 4 } },
    { x: d.x.filter((_, j) => j % 4 === 0), y: d.mc_mean.filter((_, j) => j % 4 === 0), type: "scatter", mode: "markers", name: "mean of the draws", marker: { color: seriesStyle(1).color, size: big ? 10 : 7, symbol: "diamond" } },
  ];
  data[1].showlegend = true;
  const layout = layoutWith(big, { xaxis: { title: title("x") }, yaxis: { title: title(`f(x), σ = ${d.sigma}`) } });
  layout.margin.t = 56;
  return { data, layout };
}

function noisySlope(d, { big }) {
  const c = colours();
  const data = [
    { x: d.x, y: d.relu_slope, type: "scatter", mode: "lines", name: "ReLU′ (a jump)", line: { color: c.muted, width: 2, dash: "dot", shape: "hv" } },
    line(d.x, d.slope, "d/dx E[f(x)] (smooth)", 0, { line: { color: seriesStyle(0).color, width: 4 } }),
  ];
  const layout = layoutWith(big, { xaxis: { title: title("x") }, yaxis: { title: title("slope"), range: [-0.05, 1.1] } });
  layout.margin.t = 40;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 9. PReLU

const LAYER_DASH = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

/** Colour = starting value, dash = layer; the legend lists each once. */
function preluSlopes(d, { big }) {
  const data = [];
  const c = colours();
  d.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    const m = v.layers.prelu_slope;
    const depth = m.length ? m[0].length : 0;
    for (let l = 0; l < depth; l++) {
      data.push({
        x: d.frames.slice(0, m.length),
        y: m.map((row) => row[l]),
        type: "scatter",
        mode: "lines",
        name: v.label,
        legendgroup: v.label,
        showlegend: l === 0,
        line: { color, width: 2.5, dash: LAYER_DASH[l % LAYER_DASH.length] },
        hovertemplate: `epoch %{x}: a = %{y:.3f}<extra>${v.label}, layer ${l + 1}</extra>`,
      });
    }
  });
  d.layers.forEach((layer, l) => {
    data.push({ x: [null], y: [null], type: "scatter", mode: "lines", name: `layer ${layer}`, line: { color: c.muted, width: 2, dash: LAYER_DASH[l % LAYER_DASH.length] } });
  });
  const layout = layoutWith(big, { xaxis: { title: title("epoch") }, yaxis: { title: title("learned slope a") } });
  layout.hovermode = "closest";
  layout.margin.t = 56;
  return { data, layout };
}

function preluFinal(d, { big }) {
  const data = [];
  const shapes = [];
  d.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    data.push({ x: d.layers, y: v.final, type: "scatter", mode: "lines+markers", name: v.label, line: { color, width: 2.5 }, marker: { color, size: big ? 14 : 10 } });
    shapes.push(hline(d.starts[i], { color: rgba(color, 0.7), dash: "dot" }));
  });
  const layout = layoutWith(big, { xaxis: { title: title("hidden layer"), dtick: 1 }, yaxis: { title: title("learned slope a") } });
  layout.shapes = shapes;
  layout.margin.t = 40;
  return { data, layout };
}

// ----------------------------------------------------------------------------- extras

function efficiencyTimes(d, { big, width }) {
  const data = [{
    x: d.times_ms,
    y: d.names,
    type: "bar",
    orientation: "h",
    // ReLU, the other exp-free unit (leaky ReLU), and the exp-based ones
    marker: { color: d.ids.map((id) => (id === "relu" ? seriesStyle(0).color : id === "leaky_relu" ? colours().muted : seriesStyle(1).color)) },
    text: d.times_ms.map((t) => `${t.toPrecision(2)} ms`),
    textposition: "outside",
    hovertemplate: "%{y}: %{x:.3g} ms<extra></extra>",
  }];
  const size = big ? 18 : 13;
  // the names' column as wide as the longest name; the axis long enough for the time written past each bar
  const left = Math.min(big ? 190 : 140, Math.max(...d.names.map((n) => textPx(n, size))) + 20);
  const label = Math.max(...data[0].text.map((t) => textPx(t, size))) + 10;
  const plotPx = width ? width - left - 16 : 0;
  const stretch = plotPx > 2 * label ? Math.max(1.22, plotPx / (plotPx - label)) : 1.22;
  const layout = layoutWith(big, { xaxis: { title: title(`milliseconds for ${d.n.toLocaleString("en")} inputs`), range: [0, stretch * Math.max(...d.times_ms)] }, yaxis: { autorange: "reversed" } });
  layout.margin.l = left;
  layout.showlegend = false;
  return { data, layout };
}

// Series that coincide (tanh and sigmoid both reach 1) stay visible: each one drawn earlier
// is wider, with a larger marker of its own shape, under the later ones.
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x"];

function unboundedSup(d, { big }) {
  const n = d.series.length;
  const data = d.series.map((s, i) => {
    const k = n - 1 - i;
    const { color, dash } = seriesStyle(i);
    return {
      ...line(d.limits, s.sup, s.label, i),
      mode: "lines+markers",
      line: { color, dash: i % 2 ? "dash" : dash, width: 3 + 2.5 * k },
      marker: { color, symbol: SYMBOLS[i % SYMBOLS.length], size: (big ? 10 : 8) + 5 * k },
    };
  });
  const layout = layoutWith(big, {
    xaxis: { title: title("L (inputs in [−L, L])"), type: "log", exponentformat: "power" },
    yaxis: { title: title("largest output"), type: "log", exponentformat: "power" },
  });
  layout.margin.t = 40;
  return { data, layout };
}

function oneSided(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    data.push(line(d.x, s.pos, `${s.label}: f(x)`, i, { line: { color: seriesStyle(i).color, width: 4 } }));
    data.push(line(d.x, s.neg, `${s.label}: f(−x)`, i, { line: { color: seriesStyle(i).color, width: 3, dash: "dash" } }));
  });
  const layout = layoutWith(big, { xaxis: { title: title("x ≥ 0") }, yaxis: { title: title("response") } });
  layout.shapes = [hline(0, { color: colours().text })];
  layout.margin.t = 40;
  return { data, layout };
}

/** slug → plot id → figure builder. */
// ----------------------------------------------------------------------------- 13. He initialisation (theory)

function heVariance(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    data.push(...band(d.layers, s.low, s.high, i, `${s.label}: 10–90 %`));
    data.push({ ...line(d.layers, s.median, `${s.label}: measured, ${d.ratio} = ${fmtNumber(s.last)}`, i), mode: "lines+markers", marker: { color: seriesStyle(i).color, size: big ? 9 : 6 } });
    data.push(line(d.layers, s.predicted, `${s.label}: predicted ${fmtNumber(s.predicted_last)}`, i, { line: { color: seriesStyle(i).color, dash: "dash", width: 2.5 } }));
  });
  const layout = layoutWith(big, {
    xaxis: { title: title("hidden layer (1 = input side)") },
    yaxis: { title: title("qₗ ÷ q₁ (ReLU)"), type: "log", exponentformat: "power" },
  });
  layout.shapes = [hline(1)];
  layout.margin.t = 72;
  return { data, layout };
}

// ----------------------------------------------------------------------------- 14. the edge of chaos (theory)

function edgeRatios(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    const name = `${s.phase} (σ<sub>w</sub>² = ${fmtNumber(s.sigma_w2, 4)})`;
    data.push(...band(d.layers, s.measured.low, s.measured.high, i, `${name}: 10–90 %`));
    data.push({ ...line(d.layers, s.measured.median, `${name}: measured`, i), mode: "lines+markers", marker: { color: seriesStyle(i).color, size: big ? 9 : 6 } });
    data.push(line(d.layers, s.predicted, `${name}: predicted`, i, { line: { color: seriesStyle(i).color, dash: "dash", width: 2.5 } }));
  });
  const layout = layoutWith(big, {
    xaxis: { title: title(`${d.label} hidden layer (1 = input side)`) },
    yaxis: { title: title("log₁₀ ‖∂L/∂(layer input)‖ − last layer's") },
  });
  layout.shapes = [hline(0)];
  layout.margin.t = 72;
  return { data, layout };
}

// ----------------------------------------------------------------------------- fitting a figure to its plot
//
// A slide's plot can be small (a projector at 150 %: 853×533 CSS px leaves about 450×360 px).
// These rules, in units of the figure's type size, apply to every lesson figure (not on a
// phone, whose figures have their own layout):
//  - a legend or colour bar beside the plot goes under it when it would leave the plot less than
//    BESIDE of the width, or keep side-by-side panels from sharing one row; a legend inside the
//    plot goes under it when wider than INSIDE of the plot;
//  - side-by-side panels keep a gap for their tick labels and are at least PANEL tick-type
//    widths wide, else fewer go in a row (rows ROW type heights tall, which set the figure's
//    height: the slide scrolls); panels with one y range label it in the first column only,
//    the x title once per column; x ticks as many as a panel's width holds;
//  - a legend taking more than LEGEND of a short plot's height gets smaller type, and a plot area
//    shorter than AREA type heights (or a y axis of a stack shorter than AXIS) makes the figure
//    as tall as it needs (the slide scrolls);
//  - a log axis with a fixed range labels fewer decades when short;
//  - y-axis titles longer than their axis, and notes wider than the plot, go on more lines.
const FIT = { BESIDE: 0.6, INSIDE: 0.4, PANEL: 5.5, GAP: 2.2, LEGEND: 0.28, AREA: 10, AXIS: 4.5, ROW: 10 };

const axisKey = (ref) => `${ref[0]}axis${ref.slice(1)}`; // "y2" → "yaxis2"
const shownInLegend = (d) => (d.type === "heatmap" ? d.showlegend === true : d.showlegend !== false) && d.name;
const linesOf = (text) => String(text).split(/<br\s*\/?>/i).length;

/** Lines of text a horizontal legend of `names` takes in `room` px: one row if all fit, else a
 * grid of equal columns (as Plotly lays it out), an entry wider than the room on more lines. */
function legendRowCount(names, room, size) {
  if (!names.length) return 0;
  const item = (n) => textPx(n, size) + 48;
  const lines = (n) => Math.max(linesOf(n), Math.ceil(item(n) / room));
  if (names.reduce((a, n) => a + item(n), 0) <= room) return Math.max(...names.map(lines));
  const cols = Math.max(1, Math.floor(room / Math.max(...names.map(item))));
  let total = 0;
  for (let i = 0; i < names.length; i += cols) total += Math.max(...names.slice(i, i + cols).map(lines));
  return total;
}

/** The side-by-side panels of a figure (x axes with a domain, anchored to their y axes), left to right. */
function sideBySide(layout) {
  const panels = Object.keys(layout)
    .filter((k) => /^xaxis\d*$/.test(k) && layout[k] && Array.isArray(layout[k].domain) && /^y\d*$/.test(layout[k].anchor || ""))
    .map((x) => ({ x, y: axisKey(layout[x].anchor) }))
    .filter((p) => layout[p.y])
    .sort((a, b) => layout[a.x].domain[0] - layout[b.x].domain[0]);
  const apart = panels.every((p, i) => i === 0 || layout[panels[i - 1].x].domain[1] <= layout[p.x].domain[0]);
  return panels.length > 1 && apart ? panels : [];
}

/**
 * The figure laid out for a plot `width` × `height` px (height 0: not known, as on the lesson
 * page, where plots have a fixed height), whose type lessons.js then scales by `scale`.
 * Changes the figure in place and returns it.
 */
export function fitPlot(fig, { narrow = false, width = 0, height = 0, scale = 1 } = {}) {
  const layout = fig && fig.layout;
  if (narrow || !width || !layout || layout.height) return fig;
  const f = (layout.font && layout.font.size) || 13;
  const tick = f - 1;
  const W = width / scale; // (sizes below in the figure's own px, before lessons.js scales its type)
  const H = height / scale;
  // (margins here in the figure's own px too: those changed are scaled when written, at the end)
  const base = { l: 80, r: 80, t: 100, b: 80, ...layout.margin };
  const m = { ...base };
  const titleText = (ax) => (ax && ax.title && ax.title.text) || "";
  const legend = { ...(layout.legend || {}) };
  const legendFont = () => (legend.font && legend.font.size) || f;
  const names = () => (layout.showlegend === false ? [] : fig.data.filter(shownInLegend).map((d) => String(d.name)));
  const legendTitle = legend.title && legend.title.text;
  const bars = fig.data.filter((d) => d.type === "heatmap" && d.showscale !== false && !(d.colorbar && d.colorbar.orientation === "h"));

  // what sits beside the plot, and how wide it is
  const vertical = legend.orientation === "v" && names().length > 0;
  const legendBeside = vertical && (legend.x ?? 1.02) >= 1 && legend.xanchor !== "right";
  const legendW = vertical ? Math.max(...names().map((n) => textPx(n, legendFont())), legendTitle ? textPx(legendTitle, f) : 0) + 48 : 0;
  const barW = bars.length ? ((bars[0].colorbar && bars[0].colorbar.thickness) || 30) + 3.2 * f + 16 : 0;
  const besideW = (legendBeside ? legendW : 0) + barW;

  const panels = sideBySide(layout);
  const n = panels.length;
  // one y range for all panels (the same fixed range, or tick labels left to the first panel)
  const yShared = n > 1 && (panels.slice(1).every((p) => layout[p.y].showticklabels === false)
    || panels.every((p) => Array.isArray(layout[p.y].range) && JSON.stringify(layout[p.y].range) === JSON.stringify(layout[panels[0].y].range)));
  const gap = FIT.GAP * tick + (yShared ? 0 : 3 * tick);
  const minPanel = FIT.PANEL * tick;
  const cols = (room) => Math.max(1, Math.min(n, Math.floor((room + gap) / (minPanel + gap))));

  // a legend or colour bar beside the plot goes under it
  const roomWith = W - m.l - m.r - besideW;
  const roomWithout = W - m.l - m.r;
  const under = besideW > 0 && (roomWith < FIT.BESIDE * W || (n > 1 && cols(roomWith) < n && cols(roomWithout) > cols(roomWith)));
  const legendUnder = vertical && (legendBeside ? under : legendW > FIT.INSIDE * roomWithout);
  const barUnder = bars.length > 0 && under && H > 0; // (its place under the plot is in px of the figure's height)
  const hasXTitle = Object.keys(layout).some((k) => /^xaxis\d*$/.test(k) && titleText(layout[k]));
  const axisB = Math.max(m.b, 1.4 * tick + 8 + (hasXTitle ? 1.4 * f + 8 : 0));
  let below = 0;
  if (legendUnder) {
    if (H && legendRowCount(names(), W - 16, legendFont()) * 1.45 * legendFont() > FIT.LEGEND * H) legend.font = { ...legend.font, size: Math.max(12, Math.round(0.8 * f)) };
    below += legendRowCount(names(), W - 16, legendFont()) * 1.45 * legendFont() + (legendTitle ? 1.9 * f : 0) + 8;
    Object.assign(legend, { orientation: "h", x: 0.01, xref: "container", xanchor: "left", y: 0, yref: "container", yanchor: "bottom" });
    if (legendTitle) legend.title = { ...legend.title, side: "top" };
  }
  const barAt = below + 4; // (px above the figure's bottom: placed once the figure's height is known)
  if (barUnder) below += 10 + 1.4 * tick + 16;
  if (below) m.b = axisB + below;
  const plotW = W - m.l - m.r - (legendBeside && !legendUnder ? legendW : 0) - (bars.length && !barUnder ? barW : 0);

  // side-by-side panels: a gap for their tick labels, fewer in a row when too narrow
  let rows = 1;
  const titles = new Map(); // panel index → its title annotation
  if (n > 1) {
    (layout.annotations || []).forEach((a, k) => {
      const i = panels.findIndex((p) => Math.abs((layout[p.x].domain[0] + layout[p.x].domain[1]) / 2 - a.x) < 0.01);
      if (i >= 0 && a.xref === "paper" && a.yref === "paper" && !titles.has(i)) titles.set(i, k);
    });
    const c = cols(plotW);
    rows = Math.ceil(n / c);
    const widths = panels.map((p) => (layout[p.x].domain[1] - layout[p.x].domain[0]) * plotW);
    const gaps = panels.slice(1).map((p, i) => (layout[p.x].domain[0] - layout[panels[i].x].domain[1]) * plotW);
    const panelW = rows > 1 || Math.min(...widths) < minPanel || Math.min(...gaps) < gap ? (plotW - gap * (c - 1)) / c : Math.min(...widths);
    if (panelW !== Math.min(...widths)) {
      const g = gap / plotW;
      const w = (1 - g * (c - 1)) / c;
      panels.forEach((p, i) => (layout[p.x] = { ...layout[p.x], domain: [(i % c) * (w + g), (i % c) * (w + g) + w] }));
    }
    const titleFont = (a) => (a.font && a.font.size) || f;
    // panel titles fit their panel: on more lines, else smaller type
    for (const k of titles.values()) {
      const a = layout.annotations[k];
      const size = titleFont(a);
      let text = wrapText(String(a.text).replace(/<br>/g, " "), panelW, size);
      if (linesOf(text) > 2 || textPx(text, size) > panelW) text = String(a.text);
      const fit = Math.min(size, Math.floor((size * panelW) / Math.max(1, textPx(text, size))));
      layout.annotations[k] = { ...a, text, font: { ...a.font, size: Math.max(tick, fit) } };
    }
    const titleH = Math.max(0, ...[...titles.values()].map((k) => linesOf(layout.annotations[k].text) * 1.3 * titleFont(layout.annotations[k]))) + 6;
    if (titles.size) m.t = Math.max(m.t, titleH + 4); // (Plotly makes no room for notes)
    if (rows > 1) {
      const rowPlot = FIT.ROW * f;
      const rowGap = 1.4 * tick + 8 + (hasXTitle ? 1.4 * f + 8 : 0) + titleH;
      const total = rows * rowPlot + (rows - 1) * rowGap;
      panels.forEach((p, i) => {
        const row = Math.floor(i / c);
        const top = 1 - (row * (rowPlot + rowGap)) / total;
        layout[p.y] = { ...layout[p.y], domain: [Math.max(0, top - rowPlot / total), top] };
      });
      layout.height = Math.round((m.t + total + m.b) * scale);
    }
    const firstY = layout[panels[0].y];
    panels.forEach((p, i) => {
      const col = i % c;
      const x = { ...layout[p.x] };
      // x ticks as many as the panel's width holds (no rotated labels running together)
      if (x.dtick === undefined && !x.tickvals) x.nticks = Math.max(2, Math.floor(panelW / (2.4 * tick)));
      if (rows > 1 && i + c < n) x.title = undefined; // the title once per column, under its lowest panel
      layout[p.x] = x;
      if (yShared) {
        layout[p.y] = { ...layout[p.y], showticklabels: col === 0, title: col === 0 ? firstY.title : undefined };
      }
      const k = titles.get(i);
      if (k !== undefined) {
        const dom = layout[p.x].domain;
        layout.annotations[k] = { ...layout.annotations[k], x: (dom[0] + dom[1]) / 2, y: layout[p.y].domain ? layout[p.y].domain[1] : 1 };
      }
    });
  }

  // a legend above the plot: smaller type when it would take too much of a short plot
  const legendAbove = !legendUnder && !vertical && names().length > 1 && (legend.y ?? 1) >= 1 && legend.yref !== "container";
  const aboveH = () => (legendAbove ? legendRowCount(names(), W - m.l - 16, legendFont()) * 1.5 * legendFont() + 12 : 0);
  if (H && legendAbove && aboveH() > FIT.LEGEND * H) legend.font = { ...legend.font, size: Math.max(12, Math.round(0.8 * f)) };
  layout.legend = legend;
  const top = Math.max(m.t, aboveH() + 16);

  // y titles longer than their axis (`plotH` px tall) on more lines, and x titles longer than
  // the plot's width (as the y axis's labels and title leave it); the x titles' lines go in the bottom margin
  const yTitles = Object.keys(layout).filter((k) => /^yaxis\d*$/.test(k) && titleText(layout[k]));
  const yWrapped = (k, plotH) => {
    const ax = layout[k];
    const [d0, d1] = ax.domain || [0, 1];
    return plotH > 0 ? wrapText(ax.title.text, Math.max(4 * f, plotH * (d1 - d0) - 8), (ax.title.font && ax.title.font.size) || f) : ax.title.text;
  };
  const yLines = Math.max(0, ...yTitles.map((k) => linesOf(yWrapped(k, H - top - m.b))));
  const xRoom = W - Math.max(m.l, 2.6 * tick + yLines * 1.3 * f + 10) - m.r;
  for (const k of Object.keys(layout)) {
    const ax = layout[k];
    if (!/^xaxis\d*$/.test(k) || !titleText(ax)) continue;
    const [d0, d1] = ax.domain || [0, 1];
    const size = (ax.title.font && ax.title.font.size) || f;
    const text = wrapText(ax.title.text, Math.max(4 * f, 0.92 * (xRoom * (d1 - d0) + (n > 1 ? gap : 0))), size);
    if (text === ax.title.text) continue;
    layout[k] = { ...ax, title: { ...ax.title, text } };
    if (rows === 1) m.b = Math.max(m.b, axisB + below + (linesOf(text) - 1) * 1.3 * size);
  }

  // the plot area at least AREA type heights tall, each y axis of a stack AXIS: else the figure sets its height (the slide scrolls)
  const yKeys = Object.keys(layout).filter((k) => /^yaxis\d*$/.test(k) && layout[k] && layout[k].visible !== false && !layout[k].overlaying);
  const spans = yKeys.map((k) => (layout[k].domain ? layout[k].domain[1] - layout[k].domain[0] : 1)).filter((v) => v > 0 && v < 1);
  const area = Math.max(FIT.AREA * f, ...spans.map((v) => (FIT.AXIS * f) / v));
  if (H && !layout.height && H - top - m.b < area) layout.height = Math.round((top + area + m.b) * scale);
  const plotH = H ? (layout.height ? layout.height / scale : H) - top - m.b : 0;
  for (const k of yTitles) {
    const text = yWrapped(k, plotH);
    if (text !== layout[k].title.text) layout[k] = { ...layout[k], title: { ...layout[k].title, text } };
  }
  // (a log axis's labels with superscripts need about two lines each)
  for (const k of yKeys) {
    const ax = layout[k];
    if (!plotH || ax.type !== "log" || !Array.isArray(ax.range) || ax.dtick !== undefined || ax.tickvals) continue;
    const [d0, d1] = ax.domain || [0, 1];
    const labels = Math.max(2, Math.floor((plotH * (d1 - d0)) / (1.8 * tick)));
    const step = Math.ceil(Math.abs(ax.range[1] - ax.range[0]) / labels);
    if (step > 1) layout[k] = { ...ax, dtick: step };
  }

  // notes wider than the plot on more lines
  const own = new Set(titles.values());
  layout.annotations = (layout.annotations || []).map((a, k) => {
    if (own.has(k) || a.xref !== "paper" || typeof a.text !== "string") return a;
    const x = a.x ?? 0.5;
    const room = (a.xanchor === "left" ? 1 - x : a.xanchor === "right" ? x : 2 * Math.min(x, 1 - x)) * plotW - 8;
    const size = (a.font && a.font.size) || f;
    const text = wrapText(a.text, Math.max(4 * f, room), size);
    if (text === a.text) return a;
    // (a note above the plot: the top margin holds its new lines)
    if (a.yref === "paper" && a.y >= 1 && a.yanchor === "bottom") m.t += (linesOf(text) - linesOf(a.text)) * 1.3 * size;
    return { ...a, text };
  });
  layout.margin = { ...base };
  for (const k of ["l", "r", "t", "b"]) if (m[k] !== base[k]) layout.margin[k] = Math.round(m[k] * scale);
  if (barUnder) {
    const figH = layout.height ? layout.height / scale : H;
    for (const d of bars) {
      d.colorbar = { ...d.colorbar, orientation: "h", thickness: 10, len: 0.6, lenmode: "fraction", x: 0.5, xanchor: "center",
        yref: "container", y: barAt / figH, yanchor: "bottom", title: { ...((d.colorbar && d.colorbar.title) || {}), side: "right" } };
    }
  }
  return fig;
}

/** The height (px) the shown slide gives its plot: the plot's box less what the slide grew by
 * past the screen (a figure that set its own height makes it grow); 0 off a slide. */
function slideRoom(width) {
  if (typeof document === "undefined" || !document.body.classList.contains("present")) return 0;
  const plot = document.querySelector(".step-plot:not([hidden]) .plot");
  const live = plot && plot.closest(".live");
  if (!live || Math.abs(plot.clientWidth - width) > 2) return 0;
  const grown = live.offsetHeight - (parseFloat(getComputedStyle(live).minHeight) || live.offsetHeight);
  return Math.max(0, plot.clientHeight - Math.max(0, grown));
}

/** lessons.js's scale of a slide's type (its html font size ÷ 20 px), which it applies after the builder. */
function typeScale(big) {
  if (!big || typeof document === "undefined") return 1;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 20;
  return Math.round((100 * rem) / 20) / 100;
}

// ----------------------------------------------------------------------------- 15. deep networks without pre-training

/** "mean of 2 seeds" or "seed 0": what the lesson's numbers are of. */
const seedsText = (d) => (d.seeds.length > 1 ? `mean of ${d.seeds.length} seeds` : `seed ${d.seeds[0]}`);

/**
 * A depth sweep (lib's sweepFigure) with a reference level drawn across it as a dashed line: passed
 * as one more series, so the phone layout makes room for its legend entry, then restyled.
 */
function depthSweep(d, metric, metricLabel, ref, refName, { big, narrow, width }) {
  const level = { label: refName, [metric]: d.values.map(() => ref), diverged_at_epoch: d.values.map(() => null) };
  const fig = sweepFigure({ ...d, series: [...d.series, level] }, metric, { big, metricLabel, paramLabel: "hidden layers", narrow, width });
  const lo = Math.min(...d.values);
  const hi = Math.max(...d.values);
  for (const t of fig.data) {
    if (t.name !== refName) continue;
    Object.assign(t, { x: [lo - 0.5, hi + 0.5], y: [ref, ref], mode: "lines", line: { color: colours().muted, dash: "dash", width: big ? 2.5 : 2 }, hoverinfo: "skip" });
    delete t.marker;
    delete t.hovertemplate;
  }
  // what the points are: the x title says it (on a phone on two lines)
  const what = `hidden layers${narrow ? "<br>" : " "}(after ${d.epochs} epochs; ${seedsText(d)})`;
  fig.layout.xaxis = { ...fig.layout.xaxis, dtick: 1, range: [lo - 0.5, hi + 0.5], title: { ...fig.layout.xaxis.title, text: what } };
  if (narrow && fig.layout.height) {
    // (the phone layout put its legend under a one-line title: one line lower, the figure as much taller)
    const L = fig.layout;
    const plotPx = L.height - L.margin.t - L.margin.b;
    const extra = 1.4 * ((L.font && L.font.size) || 13);
    L.legend = { ...L.legend, y: L.legend.y - extra / plotPx };
    L.margin = { ...L.margin, b: L.margin.b + extra };
    L.height += extra;
  }
  fig.layout.margin.t = Math.max(fig.layout.margin.t || 0, 40);
  return fig;
}

function deepCurves(d, { big }) {
  const data = [];
  d.series.forEach((s, i) => {
    const x = d.frames.slice(0, s.loss_curve.length);
    if (d.seeds.length > 1) data.push(...band(x, s.loss_curve_min, s.loss_curve_max, i, `${s.label} seeds`));
    data.push(line(x, s.loss_curve, s.label, i, { hovertemplate: `epoch %{x}: loss %{y:.3g}<extra>${s.label}</extra>` }));
  });
  const ends = [d.frames[0], d.frames[d.frames.length - 1]];
  data.push({ x: ends, y: [d.log2, d.log2], type: "scatter", mode: "lines", name: `nothing learned: log 2 = ${fmtNumber(d.log2, 3)}`, line: { color: colours().muted, dash: "dash", width: big ? 2.5 : 2 }, hoverinfo: "skip" });
  const layout = layoutWith(big, {
    xaxis: { title: title(`epoch (${seedsText(d)})`) },
    yaxis: { title: title(`training loss, ${d.depth} layer${d.depth > 1 ? "s" : ""}`), type: "log", exponentformat: "power" },
  });
  fewLogTicks(layout.yaxis, [d.log2, ...d.series.flatMap((s) => [...s.loss_curve_min, ...s.loss_curve_max, ...s.loss_curve])], 3);
  layout.margin.t = 56;
  return { data, layout };
}

function deepDepthLoss(d, opts) {
  const fig = depthSweep(d, "final_loss", "final training loss", d.log2, `nothing learned: log 2 = ${fmtNumber(d.log2, 3)}`, opts);
  fewLogTicks(fig.layout.yaxis, [d.log2, ...d.series.flatMap((s) => s.final_loss)], 3);
  return fig;
}

function deepDepthAccuracy(d, opts) {
  const fig = depthSweep(d, "accuracy_test", "final test accuracy", 0.5, "coin flip: 50 %", opts);
  fig.layout.yaxis = { ...fig.layout.yaxis, tickformat: ".0%" };
  return fig;
}

/** Every builder of `table`, its figure fitted to the plot's size (fitPlot). */
function fitted(table) {
  for (const plots of Object.values(table)) {
    for (const [id, build] of Object.entries(plots)) {
      plots[id] = (d, opts = {}) => fitPlot(build(d, opts), { ...opts, height: opts.height ?? slideRoom(opts.width), scale: opts.scale ?? typeScale(opts.big) });
    }
  }
  return table;
}

export const FIGURES = fitted({
  "sparse-activation": { active: sparseActive, histogram: sparseHistogram },
  "vanishing-gradients": { norms: vanishingNorms, flow: vanishingFlow },
  "dying-relu": { sweep: dyingSweep, curves: dyingCurves },
  "scale-invariance": { sides: scaleSides, error: scaleError },
  "softplus-logistic": { derivative: softplusDerivative, approach: softplusApproach, gap: softplusGap },
  "zero-centred": { means: zeroMeans, layers: zeroLayers },
  "kink-at-zero": { slopes: kinkSlopes, distance: kinkDistance },
  "noisy-relu": { mean: noisyMean, slope: noisySlope },
  "prelu-learns": { slopes: preluSlopes, final: preluFinal },
  "efficient-computation": { times: efficiencyTimes },
  unbounded: { sup: unboundedSup },
  "one-sided": { sides: oneSided },
  "he-initialisation": { variance: heVariance },
  "edge-of-chaos": { ratios: edgeRatios },
  "deep-without-pretraining": { curves: deepCurves, depth_loss: deepDepthLoss, depth_accuracy: deepDepthAccuracy },
});
