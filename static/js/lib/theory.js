// The Theory view's plots (mean-field signal propagation): each panel's data from
// /api/theory/*, its figure, and the table behind it. Shared by the explorer's Theory tab
// and the embeds (/embed/<panel>). Titles and help come from meta.panels; the routes' own
// defaults (grids, orders) are the API's, so this file declares none of them.

import { getJSON, isAbort } from "./api.js";
import { formulaQuery } from "./spec.js";
import { axisTitlePx, BAR_UNDER_PX, legendRows, lineCount, rgba, textPx, wrapText } from "./figures.js";
import { baseLayout, colours, divergingScale, seriesStyle } from "./theme.js";

const SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉";
/** 30 → "₃₀" (a layer's number as a subscript in plain text). */
const subscript = (n) => String(n).replace(/\d/g, (d) => SUBSCRIPT_DIGITS[Number(d)]);

export const THEORY_PANELS = ["phase", "gradient-prediction", "init-depth", "mean-var", "kernel", "hermite"];

/** Query string for GET /api/theory/<route>: the activation, its parameters, the options. */
export function theoryUrl(route, spec, options = {}) {
  const isFormula = spec.formula !== undefined && spec.formula !== null; // a typed formula: as GET /api/curve takes it
  const q = new URLSearchParams(isFormula ? formulaQuery(spec) : { name: spec.name });
  if (!isFormula) for (const [k, v] of Object.entries(spec.params || {})) q.set(k, String(v));
  for (const [k, v] of Object.entries(options)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/api/theory/${route}?${q}`;
}

const CACHE = new Map(); // url → promise of the answer (answers are deterministic)

/** GET a theory route once per URL (a failed or aborted request is forgotten). A request shared
 * with an earlier caller who gave up on it (its signal aborted: a newer drawing, e.g. after a
 * click on the plane) is asked again for a caller still waiting. */
export async function fetchTheory(route, spec, options, { signal } = {}) {
  const url = theoryUrl(route, spec, options);
  if (!CACHE.has(url)) {
    if (CACHE.size > 300) CACHE.clear();
    const p = getJSON(url, { signal });
    CACHE.set(url, p);
    p.catch(() => CACHE.delete(url));
  }
  try {
    return await CACHE.get(url);
  } catch (err) {
    if (isAbort(err) && !(signal && signal.aborted)) return fetchTheory(route, spec, options, { signal });
    throw err;
  }
}

// depth scales beyond this many layers read as infinite (the critical point, up to rounding)
const EFFECTIVELY_INFINITE = 1e6;
const fmt = (x, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) || x >= EFFECTIVELY_INFINITE ? "∞" : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : Number(x.toPrecision(d)).toString();

/** χ₁ with enough digits that it reads as 1 only when the phase is critical (1.0033, not 1). */
export function chiText(chi, phase) {
  if (chi === null || chi === undefined || !Number.isFinite(chi)) return "undefined";
  if (Math.abs(chi) >= 1e4 || (chi !== 0 && Math.abs(chi) < 1e-3)) return chi.toExponential(2);
  for (let d = 3; d <= 15; d++) {
    const shown = Number(chi.toPrecision(d));
    if (phase === "critical" || shown !== 1) return String(shown);
  }
  return String(chi);
}

/** The fixed point and depth scales of a propagation answer, in words: a null ξ is an infinite
 * depth scale (the edge of chaos); where q grows without bound there is no fixed point, so c*,
 * ξ_q and ξ_c are undefined, not infinite. */
export function fixedPointText(p) {
  if (p.q_diverges || p.q_star === null) return "q* = ∞ (q grows without bound) · c*, ξ_q, ξ_c undefined (no fixed point)";
  const c = p.c_star === null ? "undefined (no fixed point)" : fmt(p.c_star);
  return `q* = ${fmt(p.q_star)} · c* = ${c} · ξ_q = ${fmt(p.xi_q)} · ξ_c = ${fmt(p.xi_c)}`;
}

/** ξ_c as a legend or note says it: ∞ at the edge of chaos, undefined without a fixed point. */
const xiText = (p, xi) => (p.q_diverges || p.q_star === null ? "undefined" : fmt(xi));

const fixed = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d));

/** The settings every theory panel reads, from the explorer state (th, sigma_w2, sigma_b2, th_depth, th_width, q_in). */
export function theorySettings(state) {
  return { specs: state.th, sw2: state.sigma_w2, sb2: state.sigma_b2, depth: state.th_depth, width: state.th_width, qIn: state.q_in };
}

// A plot narrower than this (px) is laid out as on a phone, in the explorer's phone layout or a
// narrow embed: the phase diagram's colour bar goes under the plane (beside it, it left a 320 px
// frame a plane ~115 px wide, its region names on top of each other), its names held inside.
const NARROW_PX = 480;
const isCompact = (narrow, width) => narrow || (width > 0 && width < NARROW_PX);

/** The phase diagram's legend goes under it (its plot is tall); the others' above the plot, as the explorer's. */
function legendBelow(layout, narrow) {
  // at the figure's bottom edge (not a fraction of the plot's height below it, which a short
  // plot put on its x axis' title)
  layout.legend = { ...layout.legend, orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" };
  layout.margin = { ...layout.margin, b: narrow ? 120 : 96 };
}

function legendAbove(layout, narrow = false) {
  layout.legend = { ...layout.legend, orientation: "h", x: -0.01, xanchor: "left", y: 1.02, yanchor: "bottom" };
  if (narrow) layout.height = 460; // a phone: the legend above, and still room for the plot
}

// ----------------------------------------------------------------------------- phase diagram

// the ✕ of "your point": half its size and stroke, and a pixel (px)
const POINT_PX = 11;
// a phase diagram's plot where its size is not given (the explorer's; on a phone, its width), px
const PLOT_PX = { w: 560, h: 460, phone: 340 };

/** The orientation of the heat map's colour bar: "v" beside the plane, "h" under it. */
const heatmapBar = (data) => (data[0].colorbar && data[0].colorbar.orientation) || "v";

/** log χ₁ over the (σ_w², σ_b²) plane with the critical line, the chosen point and the phases named. */
export function phaseFigure(phase, critical, point, { big = false, narrow = false, width, height, label = "" } = {}) {
  const c = colours();
  const compact = isCompact(narrow, width);
  const finite = phase.log_chi1.flat().filter((v) => v !== null && Number.isFinite(v));
  // a symmetric colour range around χ₁ = 1, saturating at e^±1 so the milder side shows too
  const span = Math.min(1, Math.max(0.25, ...finite.map(Math.abs)));
  const text = phase.chi1.map((row, r) => row.map((chi, k) => `χ₁ = ${fmt(chi)} (${phase.phase[r][k]}${phase.q_diverges[r][k] ? ", q grows without bound" : ""})`));
  const data = [
    {
      type: "heatmap",
      x: phase.sigma_w2,
      y: phase.sigma_b2,
      z: phase.log_chi1,
      text,
      zmin: -span,
      zmax: span,
      zmid: 0,
      colorscale: divergingScale(),
      colorbar: { title: { text: "log χ₁", side: "right" }, thickness: 12, tickvals: [-span, 0, span], ticktext: ["ordered", "0 (χ₁ = 1)", "chaotic"] },
      // (the invitation inside the label: as Plotly's side box it spilled over the colour bar on a phone)
      hovertemplate: "σ<sub>w</sub>² = %{x:.3g}, σ<sub>b</sub>² = %{y:.3g}<br>%{text}<br><i>click to initialise here</i><extra></extra>",
      name: "log χ₁",
    },
  ];
  const line = critical && critical.line;
  // where χ₁ jumps over 1 (the q* reached changes: GELU, SiLU at small σ_b²): a phase boundary, not critical
  const jumps = line && line.jump_sigma_w2 ? line.jump_sigma_w2.map((w, i) => [w, line.sigma_b2[i]]).filter(([w]) => w !== null) : [];
  if (jumps.length) {
    data.push({
      type: "scatter",
      mode: "lines+markers",
      x: jumps.map((p) => p[0]),
      y: jumps.map((p) => p[1]),
      name: "χ₁ jumps over 1 (q* changes)",
      line: { color: c.text, width: 2, dash: "dot" },
      marker: { color: c.text, size: 7, symbol: "diamond-open" },
      hovertemplate: "χ₁ jumps over 1 at σ<sub>w</sub>² = %{x:.4f}, σ<sub>b</sub>² = %{y:.2f}: not critical<extra></extra>",
    });
  }
  const pts = line ? line.sigma_w2.map((w, i) => [w, line.sigma_b2[i], line.q_star[i]]).filter(([w]) => w !== null) : [];
  if (pts.length) {  // (sigmoid: χ₁ = 1 nowhere in the search, no line; the note says why)
    data.push({
      type: "scatter",
      mode: "lines+markers",
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      name: "critical line χ₁ = 1",
      line: { color: c.text, width: 3 },
      marker: { color: c.text, size: 7, symbol: pts.map((p) => (p[2] === null ? "circle-open" : "circle")) },
      hovertemplate: "critical: σ<sub>w</sub>² = %{x:.4f} at σ<sub>b</sub>² = %{y:.2f}<extra></extra>",
    });
  }
  data.push({
    type: "scatter",
    mode: "markers",
    x: [point.sw2],
    y: [point.sb2],
    name: `your point (${fmt(point.sw2)}, ${fmt(point.sb2)})`,
    marker: { symbol: "x-thin", size: 16, line: { width: 4, color: c.text }, color: c.text },
    // whole even on the plane's edge where the range below could not make room for it (a plot
    // whose height changed after it was laid out)
    cliponaxis: false,
    hovertemplate: "your point: σ<sub>w</sub>² = %{x}, σ<sub>b</sub>² = %{y}<extra></extra>",
  });
  const layout = baseLayout({ big });
  layout.xaxis = { ...layout.xaxis, title: { text: "σ<sub>w</sub>² (weight variance × fan-in)" }, zeroline: false };
  layout.yaxis = { ...layout.yaxis, title: { text: "σ<sub>b</sub>² (bias variance)" }, zeroline: false };
  layout.hovermode = "closest";
  layout.clickmode = "event";
  if (label) layout.title = { text: label, x: 0.01, xanchor: "left", font: { size: 13 } };
  layout.margin = { ...layout.margin, t: label ? 34 : 16, r: 16 };
  const plotW = width || (compact ? PLOT_PX.phone : PLOT_PX.w);
  if (compact && !underThePlane(layout, data, plotW, height)) besideThePlane(layout, data);
  else if (!compact) legendBelow(layout, narrow);
  // the plane's size in pixels as laid out (the colour bar beside it, a legend above it), to keep
  // the point and the phases' names apart and whole at any size
  const barBeside = heatmapBar(data) === "v" ? (compact ? 50 : 100) : 0;
  const legendAbovePx = (layout.legend || {}).yref === "container" ? 0 : 15 * legendRows(data.filter((d) => d.type !== "heatmap" && d.showlegend !== false).map((d) => d.name), plotW - layout.margin.l) + 8;
  const planeW = Math.max(60, plotW - layout.margin.l - layout.margin.r - barBeside);
  const planeH = Math.max(40, (height || PLOT_PX.h) - layout.margin.t - layout.margin.b - legendAbovePx);
  // whole cells on both axes (a cell is centred on its grid point), so points on the edges show;
  // wide enough for the chosen point when it lies beyond the computed plane, and for its whole ✕
  // when it lies on an edge (σ_b² = 0: its lower half was cut off)
  const cells = (v, p, px) => {
    const [lo, hi] = [v[0] - (v[1] - v[0]) / 2, v[v.length - 1] + (v[v.length - 1] - v[v.length - 2]) / 2];
    const pad = 0.04 * (Math.max(hi, p) - Math.min(lo, p));
    let [a, b] = [p < lo ? p - pad : lo, p > hi ? p + pad : hi];
    const m = POINT_PX / px; // (the ✕'s half-size as a share of the axis)
    if (p - a < m * (b - a)) a = (p - m * b) / (1 - m);
    if (b - p < m * (b - a)) b = (p - m * a) / (1 - m);
    return [a, b];
  };
  layout.xaxis.range = cells(phase.sigma_w2, point.sw2, planeW);
  layout.yaxis.range = cells(phase.sigma_b2, point.sb2, planeH);
  const flat = phase.phase.flat();
  layout.annotations = [];
  const [w0, w1] = layout.xaxis.range;
  const [b0, b1] = layout.yaxis.range;
  const where = (name, r) => {
    // the column nearest the middle of this phase's cells on row r
    const ks = phase.phase[r].map((p, k) => (p === name ? k : -1)).filter((k) => k >= 0);
    return ks.length ? phase.sigma_w2[ks[Math.floor(ks.length / 2)]] : null;
  };
  // a name's box at spot [x, y] (anchored at its centre, or at the plane's left or right edge)
  // clear of the ✕, in pixels (a short plane's "chaotic", anchored at its edge, ran over it)
  const size = big ? 20 : compact ? 13 : 15;
  const px = ([x, y]) => [((x - w0) / (w1 - w0)) * planeW, ((b1 - y) / (b1 - b0)) * planeH];
  const clear = (name, [x, y], edge = "center") => {
    const w = 1.1 * textPx(name, size) + 8; // (bold, and the box's padding)
    const h = 1.4 * size;
    const [cx, cy] = px([x, y]);
    const left = edge === "left" ? cx + 3 : edge === "right" ? cx - 3 - w : cx - w / 2;
    const [pxX, pxY] = px([point.sw2, point.sb2]);
    const r = POINT_PX + 12; // (and a gap: a name a line or so from it, not touching)
    return left > pxX + r || left + w < pxX - r || cy - h / 2 > pxY + r || cy + h / 2 < pxY - r;
  };
  // rows by their nearness to 60 % of the height (where a name reads best)
  const nearMiddle = phase.sigma_b2.map((_, r) => r).sort((a, b) => Math.abs(a / phase.sigma_b2.length - 0.6) - Math.abs(b / phase.sigma_b2.length - 0.6));
  for (const name of ["ordered", "chaotic"]) {
    if (!flat.includes(name)) continue;
    // on the row at 60 % of the height, or the nearest row where the chosen point does not cover the name
    const spots = nearMiddle.map((r) => [where(name, r), phase.sigma_b2[r]]).filter(([x]) => x !== null);
    let spot = spots.find((sp) => clear(name, sp)) || spots[0];
    // a narrow plot is a few cells wide: centred on its phase a name ran over the critical line,
    // the other name and past the plot's edge. There it is held inside, at the edge its phase
    // reaches, on the row where that phase is widest (clear of the point)
    const run = (r) => {
      const row = phase.phase[r];
      const left = row.findIndex((p) => p !== name);
      const right = [...row].reverse().findIndex((p) => p !== name);
      return row[0] === name ? ["left", left < 0 ? row.length : left] : row[row.length - 1] === name ? ["right", right] : [null, 0];
    };
    let edge = null;
    if (compact) {
      const rows = phase.sigma_b2.map((b, r) => [r, ...run(r)]).filter(([r, e]) => e && clear(name, [e === "left" ? w0 : w1, phase.sigma_b2[r]], e));
      // (within a cell of the widest, the row nearest 60 % of the height)
      const most = Math.max(0, ...rows.map((x) => x[2]));
      const widest = rows.filter((x) => x[2] >= most - 1).sort((a, b) => Math.abs(a[0] / phase.sigma_b2.length - 0.6) - Math.abs(b[0] / phase.sigma_b2.length - 0.6))[0];
      if (widest) {
        edge = widest[1];
        spot = [edge === "left" ? w0 : w1, phase.sigma_b2[widest[0]]];
      }
    }
    if (!spot) continue;
    const text = { x: spot[0], y: spot[1], text: `<b>${name}</b>`, showarrow: false, font: { size, color: c.text }, bgcolor: rgba(c.bg && c.bg.startsWith("#") ? c.bg : "#ffffff", 0.6) };
    if (edge) Object.assign(text, { xanchor: edge, xshift: edge === "left" ? 3 : -3 });
    layout.annotations.push(text);
  }
  return { data, layout };
}

// The least height of the plane that a narrow frame's layout keeps (below it, a short frame's)
const PLANE_MIN_PX = 160;

/** A narrow frame too short for the colour bar and the legend under the plane (a 320 × 300
 * frame left it ~30 px tall): the bar beside it, thin, its ends numbered (the plane names its
 * phases); the legend above it (fitToWidth fits its rows to the height); axis titles as symbols;
 * the activation's name left to the caption. */
function besideThePlane(layout, data) {
  const [heatmap] = data;
  const span = heatmap.zmax;
  heatmap.colorbar = { ...heatmap.colorbar, thickness: 8, xpad: 4, ticktext: [`−${Number(span.toPrecision(2))}`, "0", `${Number(span.toPrecision(2))}`], title: { text: heatmap.colorbar.title.text, side: "right" } };
  layout.xaxis = { ...layout.xaxis, title: { text: "σ<sub>w</sub>²" } };
  layout.yaxis = { ...layout.yaxis, title: { text: "σ<sub>b</sub>²" } };
  delete layout.title;
  legendAbove(layout);
  layout.margin = { ...layout.margin, t: 16, b: 44 };
}

/**
 * A narrow phase diagram: the plane takes the width, and under it, from its bottom edge down,
 * its ticks and x title (on as many lines as the width needs), the colour bar as wide as the
 * plane (its ends named), and the legend at the figure's bottom edge — each placed in pixels,
 * as the plot's own height is the frame's (its margin set here: nothing pushes it).
 */
function underThePlane(layout, data, width, height) {
  const size = layout.font.size;
  const [heatmap] = data;
  // "ordered" and "chaotic" are centred on the bar's ends: the right margin takes half of one
  layout.margin.r = Math.max(layout.margin.r, Math.ceil(textPx("chaotic", size) / 2) + 4);
  const { l, r } = layout.margin;
  const plotW = width - l - r;
  const titlePx = axisTitlePx(layout, layout.xaxis);
  const title = wrapText(layout.xaxis.title.text, plotW + 2 * Math.min(l, r) - 4, titlePx); // (centred on the plane, into the margins)
  layout.xaxis = { ...layout.xaxis, title: { ...layout.xaxis.title, text: title } };
  const names = data.filter((d) => d.type !== "heatmap" && d.showlegend !== false).map((d) => d.name);
  const legendPx = 21 * legendRows(names, plotW) + 6;
  // room for the tick labels, the title's lines (Plotly's 1.3 em) and a gap before the bar's title.
  // The bar hangs from the plane's bottom edge (y 0) by ypad, in pixels whatever the plane's
  // height (placed up from the figure's bottom edge instead, yref "container", Plotly drew the x
  // title over the tick labels); ypad reaches the bar's fill, its title stands 7 px above that.
  const axisPx = 54 + Math.ceil(1.3 * titlePx) * lineCount(title);
  if (height && height - layout.margin.t - axisPx - BAR_UNDER_PX - legendPx < PLANE_MIN_PX) return false;
  heatmap.colorbar = { ...heatmap.colorbar, orientation: "h", thickness: 10, x: 0, xanchor: "left", xpad: 0, len: 1, y: 0, yanchor: "top", ypad: axisPx, title: { text: heatmap.colorbar.title.text, side: "top" } };
  layout.legend = { ...layout.legend, orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" };
  layout.margin = { ...layout.margin, b: axisPx + BAR_UNDER_PX + legendPx, autoexpand: false };
  // the activation's name over the plane's corner: at the figure's, a short plane's y title ran into it
  if (layout.title) layout.title = { ...layout.title, xref: "paper", x: 0 };
  return true;
}

export function phaseTable(phase) {
  const rows = [];
  phase.sigma_b2.forEach((b, r) => phase.sigma_w2.forEach((w, k) => rows.push([w, b, phase.chi1[r][k], phase.log_chi1[r][k], phase.phase[r][k], phase.q_star[r][k]])));
  return { columns: ["sigma_w2", "sigma_b2", "chi1", "log_chi1", "phase", "q_star"], rows };
}

// ----------------------------------------------------------------------------- predicted gradients

/** Predicted log₁₀‖∂L/∂h_l‖ relative to the last layer, per activation, at the chosen point. */
export function gradientPredictionFigure(runs, { big = false, narrow = false } = {}) {
  const data = runs.map(({ label, data: p }, i) => {
    const { color, dash } = seriesStyle(i);
    const xi = xiText(p, p.xi_c);
    return {
      type: "scatter",
      mode: "lines+markers",
      x: p.layers.layer,
      y: p.layers.log10_grad_norm,
      customdata: p.layers.layer.map((_, l) => [p.layers.q[l], p.layers.c[l], p.layers.chi[l]]),
      name: `${label}: χ₁ = ${chiText(p.chi1, p.phase)}, ${p.phase}, ξ_c = ${xi}`,
      line: { color, dash, width: 2.5 },
      marker: { color, size: 5 },
      hovertemplate: "layer %{x}: %{y:.3f} decades<br>q<sub>l</sub> = %{customdata[0]:.3g}, c<sub>l</sub> = %{customdata[1]:.3f}, χ(q<sub>l</sub>) = %{customdata[2]:.3f}<extra>" + label + "</extra>",
    };
  });
  const layout = baseLayout({ big });
  layout.xaxis = { ...layout.xaxis, title: { text: "layer (1 = input side)" } };
  layout.yaxis = { ...layout.yaxis, title: { text: "log₁₀ ‖∂L/∂h_l‖ (last layer 0)" }, zeroline: true };
  layout.hovermode = "closest";
  legendAbove(layout, narrow);
  return { data, layout };
}

export function gradientPredictionTable(runs) {
  const rows = [];
  for (const { label, data: p } of runs) p.layers.layer.forEach((l, k) => rows.push([label, l, p.layers.q[k], p.layers.c[k], p.layers.chi[k], p.layers.log10_grad_norm[k]]));
  return { columns: ["activation", "layer", "q", "c", "chi", "predicted_log10_grad_norm"], rows };
}

// ----------------------------------------------------------------------------- initialisation over depth

/** q_l over depth for each initialisation: prediction dashed, median solid, 10–90 % band. */
export function initDepthFigure(runs, labels, { big = false, narrow = false } = {}) {
  const data = [];
  runs.forEach((r, i) => {
    const { color } = seriesStyle(i);
    const name = r.init === "custom" ? "custom" : labels[r.init] || r.init;
    const custom = r.init === "custom" ? ` (σ<sub>w</sub>² = ${fmt(r.sigma_w2)}, σ<sub>b</sub>² = ${fmt(r.sigma_b2)})` : ` (σ<sub>w</sub>² = ${fmt(r.sigma_w2)})`;
    const group = `init${i}`;
    data.push({ x: r.layer, y: r.low, type: "scatter", mode: "lines", line: { width: 0, color }, hoverinfo: "skip", showlegend: false, legendgroup: group });
    data.push({ x: r.layer, y: r.high, type: "scatter", mode: "lines", line: { width: 0, color }, fill: "tonexty", fillcolor: rgba(color, 0.16), hoverinfo: "skip", showlegend: false, legendgroup: group });
    data.push({ x: r.layer, y: r.median, type: "scatter", mode: "lines", line: { color, width: 2.5 }, name: `${name}${custom}`, legendgroup: group, hovertemplate: `layer %{x}: median q = %{y:.3g}<extra>${name}</extra>` });
    data.push({ x: r.layer, y: r.predicted, type: "scatter", mode: "lines", line: { color, width: 2, dash: "dash" }, showlegend: false, legendgroup: group, hovertemplate: `layer %{x}: predicted q = %{y:.3g}<extra>${name}</extra>` });
  });
  const muted = colours().muted;
  data.push({ x: [null], y: [null], type: "scatter", mode: "lines", line: { color: muted, width: 2.5 }, name: `median of ${runs[0] ? runs[0].draws : ""} random networks (band: 10–90 %)`, legendgroup: "style0" });
  data.push({ x: [null], y: [null], type: "scatter", mode: "lines", line: { color: muted, width: 2, dash: "dash" }, name: "mean-field prediction", legendgroup: "style1" });
  const layout = baseLayout({ big });
  layout.xaxis = { ...layout.xaxis, title: { text: "layer" } };
  // one label every few decades: these curves span from one to dozens of them
  const ys = runs.flatMap((r) => [...r.median, ...r.predicted]).filter((v) => v > 0 && Number.isFinite(v));
  const decades = ys.length ? Math.log10(Math.max(...ys) / Math.min(...ys)) : 1;
  layout.yaxis = { ...layout.yaxis, title: { text: "second moment q<sub>l</sub>", symbol: "q<sub>l</sub>" }, type: "log", exponentformat: "power", dtick: Math.max(1, Math.ceil(decades / 6)) };
  layout.hovermode = "closest";
  legendAbove(layout, narrow);
  return { data, layout };
}

export function initDepthTable(runs) {
  const rows = [];
  for (const r of runs) r.layer.forEach((l, k) => rows.push([r.init, r.sigma_w2, r.sigma_b2, l, r.predicted[k], r.median[k], r.low[k], r.high[k]]));
  return { columns: ["init", "sigma_w2", "sigma_b2", "layer", "predicted_q", "median_q", "q10", "q90"], rows };
}

// ----------------------------------------------------------------------------- (mean, variance) flow

/** The (μ, ν) flows of each activation from several starts, with its fixed point. */
export function meanVarFigure(runs, { big = false, narrow = false } = {}) {
  const data = [];
  runs.forEach(({ label, data: mv }, i) => {
    const { color } = seriesStyle(i);
    mv.flows.forEach((f, j) => {
      data.push({
        type: "scatter",
        mode: "lines+markers",
        x: f.mu,
        y: f.nu,
        line: { color: rgba(color, 0.75), width: 1.5 },
        marker: { color, size: f.mu.map((_, k) => (k === 0 ? 9 : 5)), symbol: f.mu.map((_, k) => (k === 0 ? "circle-open" : "circle")) },
        name: `${label}: flows from ${mv.flows.length} starts`,
        legendgroup: `mv${i}`,
        showlegend: j === 0,
        hovertemplate: "layer %{pointNumber}: μ = %{x:.4f}, ν = %{y:.4f}<extra>" + label + "</extra>",
      });
    });
    const fp = mv.fixed_point;
    if (fp.converged) {
      data.push({
        type: "scatter",
        mode: "markers",
        x: [fp.mu],
        y: [fp.nu],
        name: `${label}: fixed point (${fixed(fp.mu)}, ${fixed(fp.nu)})`,
        marker: { symbol: "star", size: 18, color, line: { width: 1.5, color: colours().text } },
        legendgroup: `mv${i}`,
        hovertemplate: `fixed point μ = %{x:.2e}, ν = %{y:.6f}<br>spectral radius ${fmt(fp.spectral_radius)}<extra>${label}</extra>`,
      });
    }
  });
  const layout = baseLayout({ big });
  layout.xaxis = { ...layout.xaxis, title: { text: "mean μ of a layer's outputs" }, zeroline: true };
  layout.yaxis = { ...layout.yaxis, title: { text: "variance ν" }, rangemode: "tozero" };
  layout.hovermode = "closest";
  legendAbove(layout, narrow);
  return { data, layout };
}

export function meanVarTable(runs) {
  const rows = [];
  for (const { label, data: mv } of runs) mv.flows.forEach((f, j) => f.mu.forEach((m, k) => rows.push([label, `${f.start[0]},${f.start[1]}`, k, m, f.nu[k]])));
  return { columns: ["activation", "start", "layer", "mu", "nu"], rows };
}

// ----------------------------------------------------------------------------- kernel and Hermite coefficients

export function kernelFigure(runs, { big = false, narrow = false } = {}) {
  const data = [];
  runs.forEach(({ label, data: k }, i) => {
    const { color, dash } = seriesStyle(i);
    data.push({ type: "scatter", mode: "lines", x: k.rho, y: k.k, name: label, line: { color, dash, width: 3 }, hovertemplate: "ρ = %{x:.2f}: k = %{y:.4f}<extra>" + label + "</extra>" });
    if (k.closed_form) {
      data.push({ type: "scatter", mode: "markers", x: k.rho, y: k.closed_form.k, name: `${label}: ${k.closed_form.name}`, marker: { color: colours().text, size: 5, symbol: "circle-open" }, hovertemplate: "closed form: %{y:.6f}<extra></extra>" });
    }
  });
  const layout = baseLayout({ big });
  layout.xaxis = { ...layout.xaxis, title: { text: "correlation ρ of the two inputs" }, range: [-1.02, 1.02] };
  layout.yaxis = { ...layout.yaxis, title: { text: "k(ρ) = E[φ(u)φ(v)]" } };
  layout.hovermode = "closest";
  legendAbove(layout, narrow);
  return { data, layout };
}

export function kernelTable(runs) {
  const rows = [];
  for (const { label, data: k } of runs) k.rho.forEach((r, j) => rows.push([label, r, k.k[j], k.closed_form ? k.closed_form.k[j] : null]));
  return { columns: ["activation", "rho", "k", "closed_form"], rows };
}

export function hermiteFigure(runs, shown, { big = false, narrow = false } = {}) {
  const data = runs.map(({ label, data: k }, i) => {
    const { color } = seriesStyle(i);
    const a = k.hermite.a.slice(0, shown);
    return { type: "bar", x: a.map((_, j) => j), y: a, name: label, marker: { color }, hovertemplate: "a_%{x} = %{y:.5f}<extra>" + label + "</extra>" };
  });
  const layout = baseLayout({ big });
  layout.barmode = "group";
  layout.xaxis = { ...layout.xaxis, title: { text: "k (a<sub>k</sub> multiplies He<sub>k</sub>(z)/√k!)" }, dtick: 1 };
  layout.yaxis = { ...layout.yaxis, title: { text: "Hermite coefficient a<sub>k</sub>" }, zeroline: true };
  legendAbove(layout, narrow);
  return { data, layout };
}

export function hermiteTable(runs) {
  const rows = [];
  for (const { label, data: k } of runs) k.hermite.a.forEach((a, j) => rows.push([label, j, a]));
  return { columns: ["activation", "k", "a_k"], rows };
}

// ----------------------------------------------------------------------------- one panel, by name

/** What the phase diagram's line shows: on how many values of σ_b², and why not on the others. */
function criticalLineNote(phase, critical) {
  const l = critical.line;
  const found = l.sigma_w2.filter((w) => w !== null).length;
  const [lo, hi] = critical.search;
  const phases = new Set(phase.phase.flat());
  const jumped = (l.jump_sigma_w2 || []).filter((w, i) => w !== null && l.sigma_w2[i] === null).length;
  if (!found && !jumped) {
    const side = phases.size === 1 && phases.has("ordered") ? "χ₁ < 1 on the whole plane drawn: every point is ordered" : phases.size === 1 && phases.has("chaotic") ? "χ₁ > 1 on the whole plane drawn: every point is chaotic" : "";
    return `no critical line: χ₁ = 1 at no σ_w² in [${lo}, ${hi}], at any of ${l.sigma_b2.length} values of σ_b²${side ? ` (${side})` : ""}.`;
  }
  const none = l.sigma_b2.length - found - jumped;
  const missing = none ? ` (at the other ${none}, χ₁ = 1 at no σ_w² in [${lo}, ${hi}])` : "";
  const open = l.q_star.some((q, i) => q === null && l.sigma_w2[i] !== null) ? " Open circles: no q* there (q grows without bound)." : "";
  // (GELU, SiLU at small σ_b²: q settles to a small q* left of the dotted line, grows without bound right of it)
  const jump = jumped ? ` At ${jumped === l.sigma_b2.length ? "all" : jumped} ${jumped === 1 ? "value" : "values"} of σ_b², χ₁ jumps over 1 instead (dotted line): there the fixed point q* the layers settle to changes abruptly (GELU, SiLU: a small q* left of it, q growing without bound right of it), so the phase changes with no critical point.` : "";
  if (!found) return `no critical line χ₁ = 1${missing}.${jump}`;
  return `the critical line (χ₁ = 1) on ${found} values of σ_b²${missing}.${open}${jump}`;
}

/**
 * Everything one panel shows for the explorer state: {figure, remake(width) (the figure for a
 * plot of another width), table, json, note, summary?}.
 * ctx: {state, catalogue, meta, label(spec), signal, narrow (a phone), width and height (the
 * plot's, px, when known: an embed's), phaseClick (what a click on the phase diagram does, said in its note)}
 */
export async function theoryPanel(name, ctx) {
  const { state, meta, signal, narrow, width } = ctx;
  const s = theorySettings(state);
  const first = s.specs[0];
  const label = (spec) => ctx.label(spec);
  const get = (route, spec, options) => fetchTheory(route, spec, options, { signal });
  const opts = { narrow, width };
  if (name === "phase") {
    const [phase, critical] = await Promise.all([get("phase", first, { q_in: s.qIn }), get("critical", first, { q_in: s.qIn })]);
    const remake = (w = width, h = ctx.height) => phaseFigure(phase, critical, { sw2: s.sw2, sb2: s.sb2 }, { ...opts, width: w, height: h, label: label(first) });
    return {
      figure: remake(),
      remake,
      table: () => phaseTable(phase),
      json: { phase, critical },
      note: `${label(first)}: ${criticalLineNote(phase, critical)} ${ctx.phaseClick || "Click the plane to initialise the network there."}`,
    };
  }
  if (name === "gradient-prediction") {
    const runs = await Promise.all(s.specs.map(async (spec) => ({ label: label(spec), data: await get("propagation", spec, { sigma_w2: s.sw2, sigma_b2: s.sb2, depth: s.depth, q_in: s.qIn }) })));
    const depthScales = runs.map(({ label: l, data: p }) => (p.q_diverges || p.q_star === null ? `${l}: undefined (q grows without bound: no fixed point)` : `${l}: ξ_q = ${fmt(p.xi_q)}, ξ_c = ${fmt(p.xi_c)} layers`)).join(" · ");
    const remake = (w = width) => gradientPredictionFigure(runs, { ...opts, width: w });
    return { figure: remake(), remake, table: () => gradientPredictionTable(runs), json: runs.map((r) => r.data), note: `Depth scales (∞ at the edge of chaos): ${depthScales}.`, runs };
  }
  if (name === "init-depth") {
    const runs = await Promise.all(
      meta.theory.inits.map((init) => {
        const options = { init, depth: s.depth, width: s.width, draws: meta.theory.draws, q_in: s.qIn };
        if (init === "custom") Object.assign(options, { sigma_w2: s.sw2, sigma_b2: s.sb2 });
        return get("init", first, options);
      }),
    );
    const he = runs.find((r) => r.init === "he");
    const lecun = runs.find((r) => r.init === "lecun");
    const last = (r) => (r && r.median_ratio_to_first ? r.median_ratio_to_first[r.median_ratio_to_first.length - 1] : null);
    const note = `${label(first)}, width ${s.width}: q${subscript(s.depth)}/q₁ (median over ${meta.theory.draws} networks) — He ${fmt(last(he))}, LeCun ${fmt(last(lecun))}; predicted He ${fmt(he.predicted[he.predicted.length - 1] / he.predicted[0])}, LeCun ${fmt(lecun.predicted[lecun.predicted.length - 1] / lecun.predicted[0])}.`;
    const remake = (w = width) => initDepthFigure(runs, meta.labels.init, { ...opts, width: w });
    return { figure: remake(), remake, table: () => initDepthTable(runs), json: runs, note };
  }
  if (name === "mean-var") {
    const ref = meta.theory.mean_var_reference;
    const specs = first.name === ref ? [first] : [{ name: ref, params: {} }, first];
    const runs = await Promise.all(specs.map(async (spec) => ({ label: label(spec), data: await get("mean_var", spec, {}) })));
    const fp = runs[0].data.fixed_point;
    const note = fp.converged ? `${runs[0].label}'s flows converge on (${fixed(fp.mu)}, ${fixed(fp.nu)}) (spectral radius of the map there ${fmt(fp.spectral_radius)} < 1: attracting).` : "";
    const remake = (w = width) => meanVarFigure(runs, { ...opts, width: w });
    return { figure: remake(), remake, table: () => meanVarTable(runs), json: runs.map((r) => r.data), note };
  }
  if (name === "kernel" || name === "hermite") {
    const runs = await Promise.all(s.specs.map(async (spec) => ({ label: label(spec), data: await get("kernel", spec, {}) })));
    if (name === "kernel") {
      const remake = (w = width) => kernelFigure(runs, { ...opts, width: w });
      return { figure: remake(), remake, table: () => kernelTable(runs), json: runs.map((r) => r.data), note: "" };
    }
    const a1 = runs.map(({ label: l, data: k }) => `${l} a₁ = ${fmt(k.hermite.a[1], 4)}`).join(", ");
    const parseval = runs.map(({ label: l, data: k }) => `${l} Σaₖ² = ${fmt(k.hermite.sum_squares, 6)} of E[φ²] = ${fmt(k.hermite.second_moment, 6)}`).join(" · ");
    const remake = (w = width) => hermiteFigure(runs, meta.theory.hermite_shown, { ...opts, width: w });
    return { figure: remake(), remake, table: () => hermiteTable(runs), json: runs.map((r) => r.data), note: `${a1}. ${parseval} (k ≤ ${runs[0].data.hermite.order}).` };
  }
  throw new Error(`no theory panel ${name}`);
}
