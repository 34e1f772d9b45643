// The theory's prediction over a run's measured gradients: for the run's own network
// (activation, initialisation, width, depth, data), POST /api/theory/network gives the
// mean-field prediction of ‖∂L/∂(layer input)‖ per layer and the engine's measurement over
// several weight draws. On "Gradient norm per layer": the measured median (solid) and the
// prediction (dashed). On the gradient-flow heatmap: a "predicted" strip left of epoch 0
// (dashed outline) beside the measured epoch-0 column (solid outline), on the same colours.
// The lines, strips and captions are made here for the explorer's network view (overlayPrediction)
// and for the embeds of these two plots (embed/training.js).

import { drawsOnLog } from "./figures.js";
import { gradientNormsJson, gradientNormsTable } from "./tables.js";
import { isAbort, postJSON } from "./api.js";
import { colours, seriesStyle } from "./theme.js";

const CACHE = new Map(); // request body → promise of the answer (deterministic)

function post(body) {
  const key = JSON.stringify(body);
  if (!CACHE.has(key)) {
    if (CACHE.size > 50) CACHE.clear();
    const p = postJSON("/api/theory/network", body);
    CACHE.set(key, p);
    p.catch(() => CACHE.delete(key));
  }
  return CACHE.get(key);
}

/** Why run `trace` gets no prediction (in a caption's words), or "" when it does. */
export function noPrediction(trace, grad) {
  if (grad.key !== "grad_norm_input") return "The theory predicts the gradient at each layer's input: choose it in the Gradient menu to see the prediction.";
  if (trace.config.dataset === "own") return "The theory's prediction is measured on the built-in datasets: choose one to see it (your own points are held by this page only).";
  return "";
}

/** The theory's answer for run `trace`, measured over `seeds` weight draws (meta.theory.overlay_seeds). */
export function predictionFor(trace, seeds) {
  // (the theory's pass is at initialisation: it reads neither the run's epochs nor its frames,
  // which a Reset's epoch-0 trace has as 0 and 1, below /api/init_stats's minimums)
  const { epochs, frames, ...config } = trace.config;
  return post({ ...config, seeds });
}

// the legend groups of the median of inits and of the prediction
const MEDIAN = "style-median";
const THEORY = "style-theory";

const fmt = (x) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : Number(x.toPrecision(2)).toString());

/** Sentences joined into one caption. */
export function joinNotes(...texts) {
  return texts.reduce((all, t) => (!t ? all : !all ? t : `${all}${/[.!?]$/.test(all) ? "" : "."} ${t}`), "");
}

/** The gradient-norms panel's extra lines for answer `res` (each network's measured median and
 * its prediction), its caption, and per network the lines' values (for the panel's CSV). */
export function normsOverlay(trace, res) {
  const muted = colours().muted;
  const many = trace.variants.length > 1; // then the legend names each colour once and each line style once
  const traces = [];
  const drawn = { median: false, theory: false }; // (keys only for lines drawn: a network that diverged at init may have no theory line)
  const notes = [];
  const columns = [];
  res.series.forEach((s, i) => {
    const v = trace.variants[i];
    const { color } = seriesStyle(i);
    const layers = s.measured.norm_median.map((_, l) => l + 1);
    const last = s.measured.norm_median[s.measured.norm_median.length - 1];
    // (one network: its lines are keyed by their style, "style…" as figures.js's keys, which a short frame leaves out)
    const group = (style) => (many ? { legendgroup: `v${i}`, showlegend: false } : { legendgroup: style });
    const median = {
      x: layers, y: s.measured.norm_median, type: "scatter", mode: "lines+markers", name: `${v.label}: median of ${s.measured.draws} inits`,
      line: { color, width: 2 }, marker: { color, size: 7, symbol: "square" }, ...group(MEDIAN),
    };
    drawn.median ||= drawsOnLog(median);
    traces.push(median);
    columns[i] = { median: s.measured.norm_median, theory: null };
    if (s.predicted.valid && last) {
      const y = s.predicted.log10_grad_norm.map((p) => (p === null ? null : last * 10 ** p));
      columns[i].theory = y;
      const theory = { x: layers, y, type: "scatter", mode: "lines", name: `${v.label}: mean-field theory`, line: { color, width: 3, dash: "dash" }, ...group(THEORY) };
      drawn.theory ||= drawsOnLog(theory);
      traces.push(theory);
      const p0 = s.predicted.log10_grad_norm[0];
      const pow = (x) => (x === null || x === undefined ? null : 10 ** x); // (10 ** null is 1: a prediction not finite read "1")
      notes.push(`${v.label}: first ÷ last predicted ${fmt(pow(p0))}, median of ${s.measured.draws} inits ${fmt(pow(s.measured.median[0]))}`);
    } else if (!s.predicted.valid) {
      notes.push(`${v.label}: no prediction with a non-zero initial bias (the theory's biases have mean 0)`);
    }
  });
  if (many) {
    const key = (name, group, line, marker) => ({ x: [null], y: [null], type: "scatter", mode: marker ? "lines+markers" : "lines", name, line: { color: muted, ...line }, ...(marker ? { marker } : {}), hoverinfo: "skip", legendgroup: group });
    // (the number of inits when every network's median has as many: one that diverged may have fewer)
    const draws = new Set(res.series.map((s) => s.measured.draws));
    if (drawn.median) traces.push(key(draws.size === 1 ? `median of ${res.series[0].measured.draws} inits` : "median of inits", MEDIAN, { width: 2 }, { color: muted, symbol: "square", size: 7 }));
    if (drawn.theory) traces.push(key("mean-field theory", THEORY, { width: 3, dash: "dash" }));
  }
  const sigma = (x) => (x === null || x === undefined ? "—" : Number(x.toPrecision(3)).toString());
  const note = notes.length ? `Theory (σ_w² = ${sigma(res.series[0].sigma_w2)}, σ_b² = ${sigma(res.series[0].sigma_b2)}): ${notes.join(" · ")}.` : "";
  return { traces, note, columns };
}

/** Gradient-flow figure `figure` ({data, layout}, as drawn) with the predicted strip and the
 * measured first column left of each network's map, anchored at its last layer at epoch 0; and
 * the caption saying so. Null when no map gets one. */
export function withPredictedStrips(figure, trace, res, grad) {
  const muted = colours().muted;
  const layout = figure.layout || {};
  // each network's map on its own subplot (x, x2, …); one with nothing finite has none
  const heat = figure.data.filter((d) => d.type === "heatmap");
  const mapOf = (i) => heat.find((d) => (d.xaxis || "x") === (i === 0 ? "x" : `x${i + 1}`));
  const frames = trace.frames;
  const step = frames.length > 1 ? frames[1] - frames[0] : 1;
  // two strips left of the map, each as wide as a tenth of it: the prediction, then the measured
  // first column again (one frame of hundreds was ~3 px, under its outline)
  const width = Math.max(step, 0.1 * frames[frames.length - 1]);
  const gap = width / 4;
  const mRight = -step / 2 - gap;
  const mLeft = mRight - width;
  const right = mLeft - gap;
  const left = right - width;
  const strips = [];
  const shapes = [...(layout.shapes || [])];
  const annotations = [...(layout.annotations || [])];
  const axes = {};
  res.series.forEach((s, i) => {
    const h = mapOf(i);
    const v = trace.variants[i];
    const m = v.layers[grad.key];
    if (!h || !s.predicted.valid || !m || !m.length) return;
    const D = m[0].length;
    const anchor = m[0][D - 1];
    if (!(anchor > 0)) return;
    const z = s.predicted.log10_grad_norm.map((p) => [p === null ? null : Math.log10(anchor) + p]);
    const xa = h.xaxis || "x";
    const ya = h.yaxis || "y";
    strips.push({
      type: "heatmap", x: [left, right], y: z.map((_, l) => l + 1), z, zmin: h.zmin, zmax: h.zmax, colorscale: h.colorscale, showscale: false, xaxis: xa, yaxis: ya,
      name: "predicted", hovertemplate: "predicted at init<br>layer %{y}<br>log₁₀‖∇‖ = %{z:.2f}<extra>" + v.label + "</extra>",
    });
    strips.push({
      type: "heatmap", x: [mLeft, mRight], y: h.y, z: h.z.map((row) => [row[0]]), zmin: h.zmin, zmax: h.zmax, colorscale: h.colorscale, showscale: false, xaxis: xa, yaxis: ya,
      name: "measured", hovertemplate: `measured at epoch ${frames[0]}<br>layer %{y}<br>log₁₀‖∇‖ = %{z:.2f}<extra>${v.label}</extra>`,
    });
    // the outlines from the map's bottom to its top, on the y axis' domain (on its values, the plot
    // cut off half of their top line)
    const ref = { xref: xa, yref: `${ya} domain`, y0: 0, y1: 1 };
    shapes.push({ type: "rect", ...ref, x0: left, x1: right, line: { color: colours().text, width: 2, dash: "dash" } });
    shapes.push({ type: "rect", ...ref, x0: mLeft, x1: mRight, line: { color: colours().text, width: 2 } });
    if (trace.variants.length === 1) {
      // one map: name the strips above them, in one label (two did not fit; several maps have their titles there),
      // from their left edge (centred, a small frame's ran onto the tick labels) and above the plot's
      // top (inside it, the y axis grew to hold it: a tick "7" over six layers)
      annotations.push({ xref: xa, yref: ref.yref, x: left, xanchor: "left", y: 1, yanchor: "bottom", text: `theory · ${frames[0] === 0 ? "init" : `epoch ${frames[0]}`}`, showarrow: false, font: { size: 11, color: muted } });
    }
    const xkey = xa === "x" ? "xaxis" : `xaxis${xa.slice(1)}`;
    axes[xkey] = { ...(layout[xkey] || {}), range: [left - gap, frames[frames.length - 1] + step / 2], autorange: false };
  });
  if (!strips.length) return null;
  return {
    figure: { ...figure, data: [...figure.data, ...strips], layout: { ...layout, ...axes, shapes, annotations } },
    note: `Left of the map, on the same colours: the theory's prediction at initialisation (outlined dashed) beside the measured epoch ${frames[0]} (outlined solid), the map's first column.`,
  };
}

function addNote(panel, text) {
  panel.note.textContent = joinNotes(panel.note.textContent.trim(), text);
}

/** Lay the prediction for run `trace` over the network view's gradient panels (called after each drawTrace). */
export async function overlayPrediction(view, trace) {
  const gen = (view.overlayGen = (view.overlayGen || 0) + 1);
  const norms = view.panels["gradient-norms"];
  const flow = view.panels["gradient-flow"];
  const grad = view.meta.gradients[view.state.grad] || view.meta.gradients.input;
  const why = noPrediction(trace, grad);
  if (why) {
    addNote(norms, why);
    return;
  }
  let res;
  try {
    res = await predictionFor(trace, view.meta.theory.overlay_seeds);
  } catch (err) {
    if (gen === view.overlayGen && !isAbort(err)) addNote(norms, `No prediction: ${err.message}`);
    return;
  }
  if (gen !== view.overlayGen || view.trace !== trace) return; // a newer drawing took over
  const lines = normsOverlay(trace, res);
  if (lines.note) addNote(norms, lines.note);
  // redraw the panel's own figure with these lines in it (its layout then makes room for them)
  const fig = norms.opts.figure(trace, { ...view.figureOptions(), grad: view.state.grad, gradients: view.meta.gradients, extra: lines.traces });
  norms.plot.style.height = fig.layout.height ? `${fig.layout.height}px` : "";
  // the export: the lines as drawn (the theory's scaled to the run's last layer), and the theory's own answer
  await norms.render(fig, { table: gradientNormsTable(trace, grad.key, lines.columns), json: gradientNormsJson(trace, grad.key, lines.columns, res), note: norms.note.textContent });
  // the heat map as drawn, with the strips (same path as Panel.render)
  const gd = flow.plot;
  if (!gd.data) return;
  const strips = withPredictedStrips({ data: gd.data, layout: gd.layout }, trace, res, grad);
  if (!strips) return;
  addNote(flow, strips.note);
  await window.Plotly.react(gd, strips.figure.data, strips.figure.layout);
  flow.json = { ...(flow.json || {}), theory: res };
}
