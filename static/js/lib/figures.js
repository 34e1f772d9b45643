// Plotly figures built from API responses. Pure functions (data in, {data, layout} out),
// shared by the explorer, the embeds and the lessons.

import { baseLayout, colours, currentTheme, divergingScale, FONT_FAMILY, SEQUENTIAL, seriesStyle } from "./theme.js";

export function rgba(hex, alpha) {
  const h = hex.replace("#", "");
  const n = parseInt(h.length === 3 ? h.replace(/./g, (c) => c + c) : h, 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

const pct = (p) => `${Math.round(p * 100)}`;

// ----------------------------------------------------------------------------- text that fits
//
// A narrow plot (a phone, a 320 px frame) has no room for a long legend entry or axis title on
// one line: Plotly neither wraps nor shrinks them, it draws them past the figure's edge, where
// they are cut off. These break such text at spaces (<br>) to the room the layout gives it.

let measurer = null;

/** Width in px of `text` (its longest line, tags dropped) in the figures' typeface at `size` px. */
export function textPx(text, size = 13) {
  const lines = String(text).split(/<br\s*\/?>/i).map((l) => l.replace(/<[^>]*>/g, ""));
  if (!measurer && typeof document !== "undefined") measurer = document.createElement("canvas").getContext("2d");
  if (!measurer) return Math.max(...lines.map((l) => l.length)) * size * 0.6;
  measurer.font = `${size}px ${FONT_FAMILY}`;
  return Math.max(...lines.map((l) => measurer.measureText(l).width));
}

/** `text` broken at spaces into lines of at most `maxPx` (a single longer word keeps a line to
 * itself; a unit or closing mark stays with what it follows: "10–90 %", not "10–90" and "%)"). */
export function wrapText(text, maxPx, size = 13) {
  const s = String(text);
  if (s.includes("<br") || textPx(s, size) <= maxPx) return s;
  const words = s.split(" ").reduce((w, word) => (w.length && /^[%)\]}:;,.!?]/.test(word) ? [...w.slice(0, -1), `${w[w.length - 1]} ${word}`] : [...w, word]), []);
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (line && textPx(next, size) > maxPx) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  lines.push(line);
  return lines.join("<br>");
}

/** Lines of a (wrapped) text. */
export const lineCount = (text) => String(text).split(/<br\s*\/?>/i).length;

/** The size an axis title is drawn at: its own, else Plotly's default, 1.2 × the figure's type. */
export const axisTitlePx = (layout, ax) => (ax.title && ax.title.font && ax.title.font.size) || Math.round(1.2 * ((layout.font && layout.font.size) || 12));

// a horizontal legend entry's width beyond its text: Plotly's 40 px symbol column and a few px
const ENTRY_PX = 48;

/** The width in px a horizontal legend's longest entry has in a figure `width` px wide. Plotly
 * shifts a legend wider than its place left until it fits the figure (its margins may grow), so
 * that is the figure's width; with the margins fixed (autoexpand off), the plot's — or, for a
 * legend above or below the plot starting left of it (x < 0), the plot's and the left margin. */
function legendRoom(layout, width) {
  const m = { l: 80, r: 80, ...layout.margin };
  const legend = layout.legend || {};
  if (m.autoexpand !== false) return width - ENTRY_PX;
  const y = legend.y ?? 1;
  const beside = legend.yref !== "container" && y >= 0 && y <= 1;
  return ((legend.x ?? 0) < 0 && !beside ? width - m.r : width - m.l - m.r) - ENTRY_PX;
}

/** A horizontal legend's entries (trace and shape names) longer than its room, on two lines or more. */
function wrapLegend(data, layout, width) {
  const legend = layout.legend || {};
  if (!width || legend.orientation === "v") return;
  const room = legendRoom(layout, width);
  const size = (legend.font && legend.font.size) || (layout.font && layout.font.size) || 12;
  const fit = (item) => {
    if (typeof item.name === "string" && item.name) item.name = wrapText(item.name, room, size);
  };
  data.filter(inLegend).forEach(fit);
  (layout.shapes || []).filter((s) => s.showlegend).forEach(fit);
}

/**
 * Every axis without a range of its own autoranges, said explicitly: under uirevision "keep"
 * Plotly.react keeps a range an earlier drawing fixed when the new layout says nothing (after
 * Reset's epoch 0 alone, the loss plot stayed at epochs −1…6 for the rest of the run). The
 * layout is changed in place and returned.
 */
export function autorangeUnfixed(layout) {
  for (const [key, axis] of Object.entries(layout)) {
    if (/^[xy]axis\d*$/.test(key) && axis && axis.range === undefined && axis.autorange === undefined) axis.autorange = true;
  }
  return layout;
}

/**
 * The rule for a figure drawn `width` px wide (an embed's frame, a phone): legend entries and
 * x-axis titles too long for it wrapped onto more lines. An x title is centred on its axis and
 * may use the margins, up to the figure's edge; a wrapped one gets the room of its lines from
 * Plotly (automargin: else its first line lay on the tick labels). Returns a new figure; text
 * that fits is left as it is.
 */
export function fitToWidth(figure, width, height = 0) {
  if (!width || !figure || !figure.layout) return figure;
  const data = figure.data.map((d) => ({ ...d }));
  const layout = { ...figure.layout };
  if (layout.shapes) layout.shapes = layout.shapes.map((s) => ({ ...s }));
  if (height && !layout.height) fitLegendToHeight(data, layout, width, height);
  wrapLegend(data, layout, width);
  const m = { l: 80, r: 80, ...layout.margin };
  const plotW = width - m.l - m.r;
  for (const key of Object.keys(layout)) {
    const ax = layout[key];
    if (!/^xaxis\d*$/.test(key) || !ax || !ax.title || !ax.title.text) continue;
    const [d0, d1] = ax.domain || [0, 1];
    const centre = m.l + (plotW * (d0 + d1)) / 2;
    const room = 2 * Math.min(centre, width - centre) - 4;
    const text = wrapText(ax.title.text, room, axisTitlePx(layout, ax));
    if (text !== ax.title.text) layout[key] = { ...ax, title: { ...ax.title, text }, automargin: true };
  }
  if (height && !layout.height) {
    // a y title longer than its axis is tall (a 200 px frame: "cross-entropy loss") went past the figure's edge
    const plotH = height - (layout.margin?.t ?? 100) - (layout.margin?.b ?? 80);
    for (const key of Object.keys(layout)) {
      const ax = layout[key];
      if (!/^yaxis\d*$/.test(key) || !ax || !ax.title || !ax.title.text) continue;
      const [d0, d1] = ax.domain || [0, 1];
      const room = Math.max(40, plotH * (d1 - d0));
      let text = wrapText(ax.title.text, room, axisTitlePx(layout, ax));
      // on three lines or more (a 300 × 200 frame: "second / moment / qₗ"), its symbol alone if it has one
      if (lineCount(text) > 2 && ax.title.symbol) text = wrapText(ax.title.symbol, room, axisTitlePx(layout, ax));
      if (text !== ax.title.text) layout[key] = { ...ax, title: { ...ax.title, text }, automargin: true };
    }
  }
  return { ...figure, data, layout };
}

// A figure shorter than this (px) is laid out for a short frame
const SHORT_FIGURE_PX = 260;

// A legend above the plot in a short frame (an embed 200–300 px tall) may take at most this share
// of its height; the smaller type it then gets.
const SHORT_LEGEND = { share: 0.22, size: 10 };

// A legend row's height at `size` px type, as Plotly draws it (19 px at 13 px type, 15 px at 10)
const legendRowPx = (size) => Math.round(1.45 * size);

/** The rows a horizontal legend of `names` takes in `room` px at `size` px type (as Plotly lays
 * it out: one row if all fit, else a grid of equal columns), measured in the figures' typeface. */
function legendRowsAt(names, room, size) {
  if (!names.length) return 0;
  const item = (s) => textPx(s, size) + ENTRY_PX - 8;
  if (names.reduce((a, s) => a + item(s), 0) <= room) return 1;
  return Math.ceil(names.length / Math.max(1, Math.floor(room / Math.max(...names.map(item)))));
}

/** A legend above the plot with more rows than a short frame has room for covered the plot (Plotly
 * stops growing the top margin before the plot would vanish); one below it (a map's) lay on the x
 * tick labels and scrolled. A legend taking more than its share of the height loses the keys of
 * shapes (shaded regions, whose colours stay) and gets smaller type; then, only while it still
 * takes more, the keys of line styles go (solid train, dashed test: the axis titles still say what
 * is plotted), then the details in parentheses that end the names — a 720 × 480 frame keeps the
 * keys of a band and dashed lines, a 300 × 200 one the curves' names. The margin on its side then
 * holds every row (below: under the tick labels). */
function fitLegendToHeight(data, layout, width, height) {
  const legend = layout.legend || {};
  const y = legend.y ?? 1;
  const above = y >= 1 && legend.yref !== "container";
  const below = y < 0 && legend.yref !== "container";
  if (layout.showlegend === false || legend.orientation === "v" || !(above || below)) return;
  const names = () => [...data.filter((d) => inLegend(d) && d.name), ...(layout.shapes || []).filter((sh) => sh.showlegend)].map((d) => String(d.name));
  // (x just below 0, as trainLayout: the legend starts at the plot's left and may use the width to the frame's right edge)
  const room = width - ((layout.margin && layout.margin.l) ?? 80) - 8;
  const rowsPx = (size) => legendRowsAt(names(), room, size) * legendRowPx(size);
  const fits = (size) => rowsPx(size) <= SHORT_LEGEND.share * height;
  if (fits((legend.font && legend.font.size) || (layout.font && layout.font.size) || 12)) return;
  if (layout.shapes) layout.shapes = layout.shapes.map((sh) => (sh.showlegend ? { ...sh, showlegend: false } : sh));
  if (!fits(SHORT_LEGEND.size)) {
    data.forEach((d, k) => {
      if (String(d.legendgroup || "").startsWith("style") && inLegend(d)) data[k] = { ...d, showlegend: false };
    });
  }
  if (!fits(SHORT_LEGEND.size)) {
    // then the details in parentheses that end the names ("an init (σ_w² = 2)": "an init"), if the names stay distinct
    const bare = (name) => String(name).replace(/\s*\([^()]*\)$/, "");
    const named = data.filter((d) => inLegend(d) && d.name);
    if (new Set(named.map((d) => bare(d.name))).size === named.length) named.forEach((d) => (d.name = bare(d.name)));
  }
  const small = { ...legend, font: { ...legend.font, size: SHORT_LEGEND.size }, x: -0.01, xanchor: "left", tracegroupgap: 0, itemwidth: 30 };
  if (above) {
    layout.legend = { ...small, y: 1, yanchor: "bottom" };
    layout.margin = { ...layout.margin, t: rowsPx(SHORT_LEGEND.size) + 8 };
  } else {
    // (below 0 in the plot's heights: a legend there may use the figure's width, Plotly's rule)
    const ticks = (layout.margin && layout.margin.b) ?? 80;
    const m = { t: 100, ...layout.margin, b: ticks + rowsPx(SHORT_LEGEND.size) + 4 };
    layout.legend = { ...small, y: -ticks / Math.max(40, height - m.t - m.b), yanchor: "top" };
    layout.margin = m;
  }
}

/**
 * f(x) above, f'(x) below, sharing x. curves: [{label, data, style?}] where data is a
 * /api/curve response. opts: {regions, samples, big, derivative}
 */
export function functionFigure(curves, { regions = true, samples = true, big = false, derivative = true, touch = false, width, height } = {}) {
  const c = colours();
  const data = [];
  const shapes = [];
  const twoRows = derivative;
  // translucent fills read fainter on a dark background: stronger there
  const fill = currentTheme() === "light" ? { band: 0.18, dead: 0.14, saturated: 0.07 } : { band: 0.3, dead: 0.26, saturated: 0.16 };
  curves.forEach((curve, i) => {
    const { color, dash } = curve.style || seriesStyle(i);
    const d = curve.data;
    const group = `c${i}`;
    // a legend entry (a long formula's start, ": f′" after it) must fit a phone-wide plot
    // (every entry of the curve cut alike, leaving room for the longest suffix, ": |f′| < 0.01 (saturated)")
    // (a label of up to 24 characters whole: "ELU (alpha=0.5)" lost its value; a suffix too long wraps at its spaces)
    const keep = Math.max(24, (width ? Math.floor((width - 60) / 7.5) : 80) - 25);
    const label = curve.label.length > keep ? `${curve.label.slice(0, keep - 1)}…` : curve.label;
    const entry = (suffix) => label + suffix;
    if (d.noise) {
      const n = d.noise;
      data.push({ x: d.x, y: n.low, type: "scatter", mode: "lines", line: { width: 0, color }, hoverinfo: "skip", showlegend: false, legendgroup: group, yaxis: "y" });
      data.push({
        x: d.x,
        y: n.high,
        type: "scatter",
        mode: "lines",
        fill: "tonexty",
        fillcolor: rgba(color, fill.band),
        line: { width: 0, color },
        name: entry(`: ${pct(n.p_low)}–${pct(n.p_high)} % band`),
        legendgroup: group,
        hoverinfo: "skip",
        yaxis: "y",
      });
      if (samples && n.samples) {
        data.push({
          x: n.samples.x,
          y: n.samples.y,
          type: "scatter",
          mode: "markers",
          marker: { size: 4, color: rgba(color, 0.55) },
          name: entry(": samples"),
          legendgroup: group,
          hovertemplate: "x=%{x:.3f}<br>f=%{y:.3f}<extra>sample</extra>",
          yaxis: "y",
        });
      }
    }
    data.push({
      x: d.x,
      y: d.y,
      type: "scatter",
      mode: "lines",
      line: { color, dash, width: 3 },
      name: d.noise ? entry(": mean") : label,
      legendgroup: group,
      hovertemplate: `x=%{x:.3f}<br>f(x)=%{y:.4g}<extra>${label}</extra>`,
      yaxis: "y",
    });
    if (twoRows) {
      data.push({
        x: d.x,
        y: d.dy,
        type: "scatter",
        mode: "lines",
        line: { color, dash, width: 2.5 },
        name: entry(": f′"),
        legendgroup: group,
        showlegend: false,
        hovertemplate: `x=%{x:.3f}<br>f′(x)=%{y:.4g}<extra>${label}</extra>`,
        yaxis: "y2",
      });
    }
    if (regions) {
      const keyed = new Set();
      for (const r of d.regions) {
        // the first shape of each kind per curve is its legend key
        const key = !keyed.has(r.kind);
        keyed.add(r.kind);
        shapes.push({
          showlegend: key,
          name: entry(`: ${r.kind === "dead" ? "f′ = 0 (dead)" : `|f′| < ${d.saturation_eps ?? "ε"} (saturated)`}`),
          legendgroup: group,
          type: "rect",
          xref: "x",
          yref: "paper",
          x0: r.x0,
          x1: r.x1,
          y0: 0,
          y1: 1,
          layer: "below",
          line: { width: 0 },
          fillcolor: rgba(color, r.kind === "dead" ? fill.dead : fill.saturated),
        });
      }
    }
    for (const k of d.kinks) {
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: k, x1: k, y0: 0, y1: 1, line: { color: rgba(color, 0.6), width: 1, dash: "dot" } });
    }
  });
  const layout = baseLayout({ big });
  layout.shapes = shapes;
  layout.hovermode = "closest"; // "x unified" costs ~6 ms per redraw while a slider drags
  const xs = curves[0].data.x;
  const xrange = [xs[0], xs[xs.length - 1]]; // known: no autorange pass over x on every redraw
  layout.margin.t = 40;
  if (touch) modebarRoom(data, layout, width);
  // an axis with nothing finite to show (x/0) gets a plain range, not the last plot's ±1e304; long
  // tick labels (0.8×10³⁰⁴) widen the margin instead of losing their first digit
  const drawn = (key) => curves.some((cv) => cv.data[key].some((v) => v !== null));
  const empty = (key) => (drawn(key) ? {} : { range: [-1, 1], autorange: false });
  const yaxis = { ...layout.yaxis, automargin: true };
  layout.yaxis = { ...yaxis, title: { text: "f(x)" }, ...empty("y") };
  if (twoRows) {
    layout.yaxis.domain = [0.4, 1];
    // the derivative's axis always shows 0: a leak of 0.79 must not look like ReLU's slope of 1
    layout.yaxis2 = { ...yaxis, domain: [0, 0.32], title: { text: "f′(x)" }, rangemode: "tozero", ...empty("dy") };
    layout.xaxis = { ...layout.xaxis, anchor: "y2", title: { text: "x" }, range: xrange, autorange: false };
  } else {
    layout.xaxis = { ...layout.xaxis, title: { text: "x" }, range: xrange, autorange: false };
  }
  if (twoRows && height && height < SHORT_FIGURE_PX) {
    // a short frame (a 200 px one left f′ ~20 px, its title on f's): the panels of equal height,
    // the x axis untitled (its ticks say x), the y titles in the tick labels' size
    layout.yaxis.domain = [0.56, 1];
    layout.yaxis2.domain = [0, 0.44];
    layout.xaxis.title = undefined;
    layout.margin.b = 24;
    const small = { font: { size: layout.font.size - 1 } };
    layout.yaxis.title = { ...layout.yaxis.title, ...small };
    layout.yaxis2.title = { ...layout.yaxis2.title, ...small };
  }
  return { data, layout };
}

/** A touch screen always shows Plotly's modebar over the figure's top: a top margin with room
 * for it above a legend above the plot, the legend's entries as fitToWidth wraps them (a margin
 * the legend fits in, so Plotly does not grow it up to the edge, under the modebar). */
export function modebarRoom(data, layout, width = 340) {
  const legend = layout.legend || {};
  if (layout.showlegend === false || legend.orientation === "v" || (legend.y ?? 1) < 1 || legend.yref === "container") return;
  const size = (legend.font && legend.font.size) || (layout.font && layout.font.size) || 12;
  const names = [...data.filter(inLegend), ...(layout.shapes || []).filter((sh) => sh.showlegend)].map((d) => wrapText(d.name, legendRoom(layout, width), size));
  const rows = names.length > 1 ? legendRows(names, width - layout.margin.l - layout.margin.r) : 0;
  // the modebar's 25 px and a gap; rows of 22–23 px, a wrapped entry's further lines 17 px each
  const lines = names.map(lineCount);
  const legendPx = rows >= names.length ? lines.reduce((a, n) => a + PHONE.row + 2 + 17 * (n - 1), 0) : Math.max(1, rows) * (PHONE.row + 2);
  layout.margin = { ...layout.margin, t: Math.max(layout.margin.t, 36 + legendPx) };
}

/** Whether Plotly's modebar is always shown (a screen with no hover: it sits over the figure's top). */
export const touchScreen = () => window.matchMedia("(hover: none)").matches;

/** The table behind a function figure (one row per x, columns per curve). */
export function functionTable(curves) {
  const columns = ["x"];
  for (const cv of curves) {
    columns.push(`${cv.label} f(x)`, `${cv.label} f'(x)`);
    if (cv.data.noise) columns.push(`${cv.label} q${pct(cv.data.noise.p_low)}`, `${cv.label} q${pct(cv.data.noise.p_high)}`);
  }
  const x = curves[0].data.x;
  const rows = x.map((xi, j) => {
    const row = [xi];
    for (const cv of curves) {
      row.push(cv.data.y[j], cv.data.dy[j]);
      if (cv.data.noise) row.push(cv.data.noise.low[j], cv.data.noise.high[j]);
    }
    return row;
  });
  return { columns, rows };
}

// ----------------------------------------------------------------------------- training
//
// Training figures take opts {big, narrow, width}. With `narrow` (a phone) subplots stack and
// the legend goes below the plot; the figure then sets its own height (layout.height), so a
// legend never squeezes the plot. `width`: the plot's width in pixels, when known.

const layerName = (i, n) => (i === 0 ? `layer 1 (input side)` : i === n - 1 ? `layer ${n} (output side)` : `layer ${i + 1}`);

/** A legend entry without data: names a colour or a line style once instead of on every trace. */
function legendEntry(name, line, group, extra = {}) {
  return { x: [null], y: [null], type: "scatter", mode: "lines", name, line, legendgroup: group, showlegend: true, hoverinfo: "skip", ...extra };
}

/** One legend entry per variant, in its colour; clicking it shows or hides all of its lines. */
function variantEntries(variants) {
  return variants.map(([v, i]) => legendEntry(v.label, { color: seriesStyle(i).color, width: 2.5 }, `v${i}`));
}

/** Legend entries for line styles, in the muted text colour (they stand for every colour). */
function styleEntries(styles) {
  const muted = colours().muted;
  return styles.map(([name, line, marker], k) =>
    legendEntry(name, { color: muted, width: 2, ...line }, `style${k}`, marker ? { mode: "lines+markers", marker: { color: muted, size: 7, ...marker } } : {}),
  );
}

// Phone layout, in pixels: plot height, room under the plot for ticks and axis title, one
// legend row, (to guess how a legend wraps) a character and an entry's swatch and gaps, a
// colour bar, and the modebar.
const PHONE = { plot: 210, axis: 70, row: 21, charPx: 7.5, itemPx: 44, colourBar: 80, modebar: 20 };
// Stacked subplots: each row this tall, with room between rows for the upper row's ticks and
// the lower row's title.
const STACK = { row: 160, gap: 56 };
const stackPx = (n, row = STACK.row) => n * row + (n - 1) * STACK.gap;

// A colour bar under a plot (a phone's map, a narrow phase diagram): 10 px, its title above it
// and its tick labels below, BAR_UNDER_PX in all.
export const BAR_UNDER_PX = 64;

/** Rows a horizontal legend takes: one if all entries fit, else a grid of equal columns (as Plotly
 * lays it out); in lines of text, an entry wrapped onto more lines (<br>) making its row taller. */
export function legendRows(names, width) {
  const item = (s) => Math.max(...String(s).split("<br>").map((l) => l.length)) * PHONE.charPx + PHONE.itemPx;
  const lines = Math.max(1, ...names.map(lineCount));
  if (names.reduce((a, s) => a + item(s), 0) <= width) return lines;
  const widest = Math.max(...names.map(item));
  return lines * Math.ceil(names.length / Math.max(1, Math.floor(width / widest)));
}

/**
 * baseLayout for training figures, with the legend's x just below 0: Plotly then lets a
 * horizontal legend use the left margin's width too, so it wraps into fewer rows.
 */
function trainLayout(opts) {
  const layout = baseLayout(opts);
  layout.legend = { ...layout.legend, x: -0.01 };
  return layout;
}

const inLegend = (d) => (d.type === "heatmap" ? d.showlegend === true : d.showlegend !== false);

/**
 * Phone layout: the legend under the x axis (`axis` pixels below the plot; above the plot the
 * modebar covers it), and the figure tall enough for plotPx of plot, axis and legend.
 */
function phoneLayout(layout, data, { plotPx = PHONE.plot, width, colourBar = false, axis = PHONE.axis } = {}) {
  const entries = data.filter(inLegend);
  const room = (width || 340) - layout.margin.r - (colourBar ? PHONE.colourBar : 0);
  // an entry longer than the legend's width on more lines (past the edge it was cut off)
  for (const d of entries) if (typeof d.name === "string") d.name = wrapText(d.name, room - ENTRY_PX, layout.font.size);
  // Plotly draws no legend for a single trace unless told to
  const names = entries.length > 1 || entries.some((d) => d.showlegend === true) ? entries.map((d) => d.name) : [];
  const title = layout.legend.title && layout.legend.title.text;
  const rows = (names.length ? legendRows(names, room) : 0) + (title ? 1 : 0);
  // y in plot heights below the plot's bottom edge (below 0, it may use the full width);
  // a legend title goes above the entries (beside them, Plotly lets the rows overflow)
  layout.legend = { ...layout.legend, orientation: "h", x: -0.01, xanchor: "left", y: -axis / plotPx, yanchor: "top" };
  if (title) layout.legend.title = { ...layout.legend.title, side: "top" };
  // on touch screens the modebar is always shown, over the top of the figure: room for it
  layout.margin = { ...layout.margin, t: layout.margin.t + PHONE.modebar, b: axis + rows * PHONE.row + 4 };
  layout.height = layout.margin.t + plotPx + layout.margin.b;
  return layout;
}

/** A variant's second measure: accuracy (classes) or R² (regression), {train, test}. */
export const metricOf = (v) => v.accuracy || v.r2 || { train: [], test: [] };
export const metricName = (trace) => (trace.task === "regression" ? "R²" : "accuracy");

/** Class colours (Okabe–Ito), class 0 first. */
export const CLASS_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

/** What the boundary heatmap shows at grid cell values ``p`` for the run's task: binary P(class 1);
 * multi-class the most likely class, shaded by its probability (z = class + probability); regression
 * the prediction. ``discrete``: the thresholded output (class 0/1, the class, the sign). */
export function boundaryCells(task, p, classes, discrete) {
  if (task === "multiclass") {
    const rows = p[0].length;
    const cols = p[0][0].length;
    const z = [];
    const text = [];
    for (let r = 0; r < rows; r++) {
      const zr = [];
      const tr = [];
      for (let c = 0; c < cols; c++) {
        let best = 0;
        for (let k = 1; k < classes; k++) if (p[k][r][c] > p[best][r][c]) best = k;
        const conf = p[best][r][c];
        // within class `best`'s band [best, best + 1): pale at 1/C (a toss-up), full at 1
        zr.push(best + (discrete ? 0.999 : Math.min(0.999, Math.max(0, (conf - 1 / classes) / (1 - 1 / classes)))));
        tr.push(p.map((q, k) => `P(class ${k}) = ${q[r][c].toFixed(2)}`).join("<br>"));
      }
      z.push(zr);
      text.push(tr);
    }
    const scale = [];
    CLASS_COLOURS.slice(0, classes).forEach((colour, k) => {
      scale.push([k / classes, rgba(colour, 0.08)], [k === classes - 1 ? 1 : (k + 1) / classes - 1e-6, colour]);
    });
    return { z, zmin: 0, zmax: classes, colorscale: scale, text, hover: "%{text}", bar: null };
  }
  if (task === "regression") {
    const flat = p.flat();
    const m = Math.max(1e-9, ...flat.map((v) => Math.abs(v)));
    const z = discrete ? p.map((r) => r.map((v) => Math.sign(v))) : p;
    return { z, zmin: discrete ? -1 : -m, zmax: discrete ? 1 : m, colorscale: divergingScale(), hover: "prediction %{z:.3f}", bar: "prediction" };
  }
  const z = discrete ? p.map((r) => r.map((v) => (v > 0.5 ? 1 : 0))) : p;
  return { z, zmin: 0, zmax: 1, colorscale: divergingScale(), hover: "P(class 1) = %{z:.2f}", bar: "P(class 1)" };
}

/** Marker traces for a set of points (train / test) by class, or coloured by target for regression. */
function pointTraces(set, symbol, label, task, classes, axes, showlegend) {
  const [xa, ya] = axes;
  const size = label === "train" ? 6 : 7;
  if (task === "regression") {
    // a target near 0 is filled with the background's colour: the outline, in the text's, keeps it seen
    return [{
      type: "scatter", mode: "markers", x: set.x.map((q) => q[0]), y: set.x.map((q) => q[1]), xaxis: xa, yaxis: ya, name: `${label} points`,
      legendgroup: label, showlegend, marker: { symbol, size, color: set.y, colorscale: divergingScale(), cmid: 0, line: { width: 1, color: colours().text || "#222222" } }, hoverinfo: "skip",
    }];
  }
  const out = [];
  for (let cls = 0; cls < Math.max(2, classes); cls++) {
    const xs = [];
    const ys = [];
    set.y.forEach((yy, j) => {
      if (yy === cls) {
        xs.push(set.x[j][0]);
        ys.push(set.x[j][1]);
      }
    });
    if (!xs.length && cls > 1) continue;
    out.push({
      type: "scatter", mode: "markers", x: xs, y: ys, xaxis: xa, yaxis: ya, name: `class ${cls} (${label})`, legendgroup: `${label}${cls}`, showlegend,
      marker: { symbol, size, color: CLASS_COLOURS[cls], line: { width: 1, color: "#ffffff" } }, hoverinfo: "skip",
    });
  }
  return out;
}

/** The plane with own points only (before any training), where points are drawn: the square
 * ±max(plane, every |coordinate|) plus the margin (meta own_points.plane and .margin) — the
 * square a run's boundary grid covers, so the plane keeps its place and size once trained. */
export function ownPointsFigure(points, task, { big = false, plane, margin, narrow = false, width } = {}) {
  const layout = trainLayout({ big });
  const xs = points.map((q) => q[0]);
  const ys = points.map((q) => q[1]);
  const lim = Math.max(plane, ...xs.map(Math.abs), ...ys.map(Math.abs)) * (1 + margin);
  const set = { x: points.map((q) => [q[0], q[1]]), y: points.map((q) => q[2]) };
  const classes = task === "regression" ? 0 : Math.max(2, ...set.y.map((v) => v + 1));
  const data = pointTraces(set, "circle", "train", task, classes, ["x", "y"], true);
  layout.dragmode = false; // a click adds a point
  // ticks and no axis titles, as the run's map
  layout.xaxis = { ...layout.xaxis, range: [-lim, lim], showgrid: false, constrain: "domain" };
  layout.yaxis = { ...layout.yaxis, range: [-lim, lim], showgrid: false, scaleanchor: "x", constrain: "domain", constraintoward: "top" };
  if (narrow) {
    phoneLayout(layout, data, { plotPx: phoneMapRow(width, 1), width, colourBar: true, axis: 30 });
  }
  drawingPlane(layout, narrow);
  return { data, layout, config: DRAWING };
}

/** A phone's map row: as tall as the map's aspect makes it at the plot's width (less margins and colour bar). */
const phoneMapRow = (width, aspect) => Math.round(Math.min(260, Math.max(120, ((width || 340) - 150) * aspect)));

/** The plane own points are drawn on, before and after a run: the same margins (room for the
 * run's title, colour bar and legend, which go inside them), so the square keeps its size and
 * place on screen when the first run's map replaces the points. (A phone's layout sets the
 * height and the room below; the sides are set here all the same.) */
function drawingPlane(layout, narrow = false) {
  layout.margin = { ...layout.margin, l: 58, r: 110, ...(narrow ? {} : { t: 34, b: 82 }) };
  if (!narrow) layout.legend = { ...layout.legend, orientation: "h", x: -0.01, xanchor: "left", y: -0.1, yanchor: "top" };
}

/** Plotly's options for a plane a click draws on: two quick clicks are two points, not a
 * double click (which would autoscale the axes to the points, so the next click lands elsewhere). */
const DRAWING = { doubleClick: false };

const LOSS_MIN_DECADES = 0.3;

/** Loss (left axis, log) and accuracy (right axis) over epochs, train and test, per variant. */
export function lossFigure(trace, { big = false, narrow = false, width } = {}) {
  // several variants: the legend names each colour once and each line style once
  const many = trace.variants.length > 1;
  const lines = [];
  trace.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    const name = v.label;
    const ep = trace.frames.slice(0, v.loss.train.length);
    const group = { legendgroup: `v${i}`, showlegend: !many };
    lines.push({ x: ep, y: v.loss.train, name: `${name} train loss`, line: { color, width: 2.5 }, ...group });
    lines.push({ x: ep, y: v.loss.test, name: `${name} test loss`, line: { color, width: 2, dash: "dash" }, ...group });
    lines.push({ x: ep, y: metricOf(v).test, name: `${name} test ${metricName(trace)}`, line: { color, width: 1.5, dash: "dot" }, yaxis: "y2", ...group });
  });
  for (const d of lines) {
    d.type = "scatter";
    d.mode = "lines";
    markLone(d);
  }
  // the legend names only what is drawn (losses on a log axis, the accuracy on a linear one): no
  // colour of a network that diverged at epoch 0, no line style that no network draws
  const drawn = (d) => (d.yaxis === "y2" ? draws(d) : drawsOnLog(d));
  const data = [];
  if (many) data.push(...variantEntries(trace.variants.map((v, i) => [v, i]).filter(([, i]) => lines.some((d) => d.legendgroup === `v${i}` && drawn(d)))));
  else for (const d of lines) d.showlegend = drawn(d);
  data.push(...lines);
  if (many) {
    const styles = [["train loss", {}], ["test loss", { dash: "dash" }], [`test ${metricName(trace)}`, { dash: "dot", width: 1.5 }]];
    data.push(...styleEntries(styles.filter(([name]) => lines.some((d) => d.name.endsWith(` ${name}`) && drawn(d)))));
  }
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  // one tick per decade when the losses span decades; within one decade, Plotly's own ticks
  // (a decade-only axis would show no number at all)
  const losses = trace.variants.flatMap((v) => [...v.loss.train, ...v.loss.test]).filter((x) => x > 0 && Number.isFinite(x));
  const decades = losses.length ? Math.log10(Math.max(...losses) / Math.min(...losses)) : 0;
  const ticks = decades >= 1 ? { dtick: 1, exponentformat: "power" } : { tickformat: ".2~g" };
  // (automargin: the title clear of wide tick labels, 10⁻³⁶)
  layout.yaxis = { ...layout.yaxis, title: { text: trace.task === "regression" ? "squared-error loss" : "cross-entropy loss" }, type: "log", automargin: true, ...ticks };
  // losses within a few hundredths of a decade (the untrained network after Reset, a dead network's
  // flat loss): Plotly's range around them was ticked "1.3, 1.3, 1.3 …"; at least LOSS_MIN_DECADES
  if (losses.length && decades < LOSS_MIN_DECADES) {
    const mid = Math.log10(Math.max(...losses) * Math.min(...losses)) / 2;
    layout.yaxis.range = [mid - LOSS_MIN_DECADES / 2, mid + LOSS_MIN_DECADES / 2];
  }
  // epoch 0 alone (Reset): an axis of epochs from 0, not −1 to 1
  if (Math.max(...trace.variants.map((v) => v.loss.train.length)) === 1) layout.xaxis = { ...layout.xaxis, range: [-0.05, 1], dtick: 1 };
  const pct = trace.task !== "regression";
  layout.yaxis2 = { ...baseLayout({ big }).yaxis, title: { text: `test ${metricName(trace)}` }, overlaying: "y", side: "right", range: pct ? [0, 1.02] : undefined, tickmode: pct ? "array" : "auto", tickvals: pct ? [0, 0.25, 0.5, 0.75, 1] : undefined, tickformat: pct ? ".0%" : ".2~f", showgrid: false, zeroline: false };
  layout.margin.r = 56;
  layout.hovermode = "x unified";
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

const axisKeys = (i) => (i === 0 ? ["xaxis", "yaxis"] : [`xaxis${i + 1}`, `yaxis${i + 1}`]);
const axisRefs = (i) => (i === 0 ? ["x", "y"] : [`x${i + 1}`, `y${i + 1}`]);

/** Subplots in rows: the gap between rows, a fraction of the plot area (room for a row's titles). */
export const ROW_GAP = 0.14;

/** n subplots side by side, or (stacked) one above the other, each `row` pixels tall, or (cols
 * < n, not stacked) in rows of `cols`, left to right and top to bottom. */
function subplotLayout(n, { big = false, gap = 0.06, stacked = false, row = STACK.row, cols = n } = {}) {
  const layout = trainLayout({ big });
  if (!stacked && cols < n) {
    const rows = Math.ceil(n / cols);
    const w = (1 - gap * (cols - 1)) / cols;
    const vgap = ROW_GAP;
    const h = (1 - vgap * (rows - 1)) / rows;
    for (let i = 0; i < n; i++) {
      const [xkey, ykey] = axisKeys(i);
      const [xa, ya] = axisRefs(i);
      const base = baseLayout({ big });
      const c = i % cols;
      const r = Math.floor(i / cols);
      layout[xkey] = { ...base.xaxis, anchor: ya, domain: [c * (w + gap), c * (w + gap) + w] };
      layout[ykey] = { ...base.yaxis, anchor: xa, domain: [1 - r * (h + vgap) - h, 1 - r * (h + vgap)] };
    }
    return layout;
  }
  const w = (1 - gap * (n - 1)) / n;
  const total = stackPx(n, row);
  for (let i = 0; i < n; i++) {
    const [xkey, ykey] = axisKeys(i);
    const [xa, ya] = axisRefs(i);
    const base = baseLayout({ big });
    layout[xkey] = { ...base.xaxis, anchor: ya };
    layout[ykey] = { ...base.yaxis, anchor: xa };
    if (stacked) {
      const top = 1 - (i * (row + STACK.gap)) / total;
      layout[xkey].domain = [0, 1];
      layout[ykey].domain = [Math.max(0, top - row / total), top];
    } else {
      layout[xkey].domain = [i * (w + gap), i * (w + gap) + w];
      if (n >= 3) layout[xkey].nticks = 4; // narrow subplots: fewer ticks, so they don't collide
    }
  }
  return layout;
}

/** "Logistic<br>sigmoid": a long title on two lines, broken at the space nearest its middle. */
function twoLines(text) {
  const spaces = [...text.matchAll(/ /g)].map((m) => m.index);
  if (!spaces.length) return text;
  const mid = spaces.reduce((a, b) => (Math.abs(b - text.length / 2) < Math.abs(a - text.length / 2) ? b : a));
  return `${text.slice(0, mid)}<br>${text.slice(mid + 1)}`;
}

/** A title above each subplot; side by side, a long one takes two lines. */
function subplotTitles(layout, titles, { stacked = false } = {}) {
  let lines = 1;
  layout.annotations = titles.map((t, i) => {
    const [xkey, ykey] = axisKeys(i);
    const dom = layout[xkey].domain;
    const text = !stacked && titles.length > 1 && t.length > 16 ? twoLines(t) : t;
    if (text.includes("<br>")) lines = 2;
    const top = layout[ykey].domain ? layout[ykey].domain[1] : 1;
    // (centred on their panels: Plotly's "auto" anchors by thirds of the paper, so neighbours run together)
    return { text, x: (dom[0] + dom[1]) / 2, xanchor: "center", y: top, xref: "paper", yref: "paper", yanchor: "bottom", showarrow: false, font: { size: 13 } };
  });
  layout.margin.t = lines === 1 ? 34 : 52;
}

/** Gradient flow: log10 of each layer's input-gradient norm, layer × epoch, one heatmap per variant. */
export function gradientFlowFigure(trace, { big = false, key = "grad_norm_input", narrow = false, width } = {}) {
  const n = trace.variants.length;
  const stacked = narrow && n > 1;
  const layout = subplotLayout(n, { big, stacked });
  const data = [];
  let lo = Infinity;
  let hi = -Infinity;
  const zs = trace.variants.map((v) => {
    const m = v.layers[key];
    const depth = m.length ? m[0].length : 0;
    const z = [];
    for (let l = 0; l < depth; l++) {
      z.push(m.map((row) => (row[l] > 0 ? Math.log10(row[l]) : null)));
    }
    for (const row of z) for (const val of row) if (val !== null) { lo = Math.min(lo, val); hi = Math.max(hi, val); }
    return z;
  });
  if (!Number.isFinite(lo)) { lo = -1; hi = 0; }
  // a network with no finite gradient (diverged at epoch 0) gets no map: Plotly lays out a subplot
  // whose traces hold nothing before it scales that subplot's axes (its axis lines drawn from
  // undefined offsets: "attribute d: Expected number, MNaN…"), and it draws no colour bar for such
  // a map. Its subplot holds a point with no value instead (Plotly draws no axes for a subplot
  // without a trace), and the colour bar goes on the last map drawn.
  const drawn = zs.map((z) => z.some((row) => row.some((val) => val !== null)));
  const scaleOn = drawn.lastIndexOf(true);
  trace.variants.forEach((v, i) => {
    const z = zs[i];
    const [xa, ya] = axisRefs(i);
    if (!drawn[i]) data.push({ type: "scatter", mode: "markers", x: [null], y: [null], xaxis: xa, yaxis: ya, showlegend: false, hoverinfo: "skip" });
    else data.push({
      type: "heatmap",
      x: trace.frames.slice(0, v.layers[key].length),
      y: z.map((_, l) => l + 1),
      z,
      zmin: lo,
      zmax: hi,
      colorscale: SEQUENTIAL,
      showscale: i === scaleOn,
      // (stacked, beside the first panel and as tall: beside them all it ran the height of the stack)
      colorbar: { title: { text: "log₁₀ ‖∇‖", side: "right" }, thickness: 12, ...(stacked ? { lenmode: "pixels", len: STACK.row, y: 1, yanchor: "top" } : {}) },
      xaxis: xa,
      yaxis: ya,
      hovertemplate: "epoch %{x}<br>layer %{y}<br>log₁₀‖∇‖ = %{z:.2f}<extra>" + v.label + "</extra>",
    });
    const [xkey, ykey] = axisKeys(i);
    // stacked rows are short: each says "layer"; side by side the first explains the numbering
    layout[ykey].title = stacked ? { text: "layer" } : i === 0 ? { text: "layer (1 = input side)" } : undefined;
    layout[ykey].dtick = 1;
    if (!drawn[i]) {
      // nothing finite (diverged at epoch 0): its layers and epochs still, not Plotly's empty −1…4
      const ep = trace.frames.slice(0, Math.max(1, v.layers[key].length));
      layout[xkey].range = [ep[0] - 0.5, ep[ep.length - 1] + 0.5];
      layout[ykey].range = [0.5, Math.max(1, z.length || trace.config.widths.length) + 0.5];
    }
    if (!stacked && i > 0) layout[ykey].showticklabels = false; // side by side: the first panel's layer numbers serve the row
    layout[xkey].title = !stacked || i === n - 1 ? { text: "epoch" } : undefined;
  });
  if (n > 1) subplotTitles(layout, trace.variants.map((v) => v.label), { stacked });
  if (narrow) phoneLayout(layout, data, { plotPx: stacked ? stackPx(n) : PHONE.plot, width, colourBar: true });
  return { data, layout };
}

/** Whether a trace draws anything on a log axis: a marker at a positive finite value, a line
 * only between two of them side by side (a lone value of a line draws nothing). */
export function drawsOnLog(d) {
  return draws(d, true);
}

/** Whether a trace draws anything (on a linear axis unless ``log``): as drawsOnLog. */
export function draws(d, log = false) {
  const y = d.y || [];
  const ok = (v) => v !== null && Number.isFinite(v) && (!log || v > 0);
  return /markers/.test(d.mode || "") ? y.some(ok) : y.some((v, k) => ok(v) && ok(y[k + 1]));
}

/** A line's values with no finite neighbour (a run that diverged after its first frame) become
 * markers: as a line they drew nothing at all. */
function markLone(d) {
  const y = d.y || [];
  const alone = y.map((v, k) => v !== null && (k === 0 || y[k - 1] === null) && (k === y.length - 1 || y[k + 1] === null));
  if (!alone.some(Boolean)) return d;
  d.mode = "lines+markers";
  d.marker = { color: d.line.color, size: alone.map((a) => (a ? 7 : 0)) };
  return d;
}

/** Per-layer gradient norms at one frame (default: the first, i.e. at initialisation) and the last. */
export function gradientNormsFigure(trace, { big = false, key = "grad_norm_input", narrow = false, width, extra = [] } = {}) {
  const many = trace.variants.length > 1;
  const lines = [];
  const styles = { init: false, last: false }; // whether any network's line of that style is drawn
  let lastEpoch = null;
  trace.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    const m = v.layers[key];
    if (!m.length) return;
    const layers = m[0].map((_, l) => l + 1);
    lastEpoch = trace.frames[m.length - 1];
    const group = { legendgroup: `v${i}`, showlegend: !many };
    const init = { x: layers, y: m[0], name: `${v.label} at init`, type: "scatter", mode: "lines+markers", line: { color, dash: "dot" }, marker: { color, size: 8 }, ...group };
    const last = { x: layers, y: m[m.length - 1], name: `${v.label} at epoch ${lastEpoch}`, type: "scatter", mode: "lines+markers", line: { color }, marker: { color, size: 8, symbol: "diamond" }, ...group };
    styles.init ||= drawsOnLog(init);
    if (m.length === 1) {
      lines.push(init); // (epoch 0 alone, after Reset: its last frame is its init)
      return;
    }
    styles.last ||= drawsOnLog(last);
    lines.push(init, last);
  });
  // the legend names only what is drawn: a network that diverged has no finite norm at its last
  // frame (from epoch 0 none at all; and the theory's line then only its value at the last layer)
  const all = [...lines, ...extra]; // extra: more lines (the theory's prediction), laid out with the rest
  if (!many) for (const d of all) if (d.showlegend !== false) d.showlegend = drawsOnLog(d);
  const data = [];
  if (many) data.push(...variantEntries(trace.variants.map((v, i) => [v, i]).filter(([, i]) => all.some((d) => d.legendgroup === `v${i}` && drawsOnLog(d)))));
  data.push(...lines);
  if (many) {
    const keys = [];
    if (styles.init) keys.push(["at init", { dash: "dot" }, { symbol: "circle" }]);
    if (styles.last) keys.push([`at epoch ${lastEpoch}`, {}, { symbol: "diamond" }]);
    data.push(...styleEntries(keys));
  }
  data.push(...extra);
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "layer (1 = input side)" };
  layout.xaxis.dtick = 1;
  layout.yaxis = { ...layout.yaxis, type: "log", title: { text: key === "grad_norm_weights" ? "‖∂L/∂W‖" : "‖∂L/∂(layer input)‖" }, exponentformat: "power", automargin: true };
  // within two decades Plotly labels every digit (2 3 4 … 9 in a pile): ticks at 1, 2 and 5 only
  fewLogTicks(layout.yaxis, data.flatMap((d) => d.y || []), 2);
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** A log axis's ticks at 1, 2 and 5 × 10ᵏ from lo's decade to hi's, each written in full: 0.2,
 * 0.5, 1 (or 2×10⁻⁵ beyond 10⁻³ … 10³). Plotly's own ("D2") wrote the 2s and 5s as bare digits
 * beside the powers, "10⁻¹, 2, 5, 10⁰", which read as two and five. */
function oneTwoFive(lo, hi) {
  const tickvals = [];
  const ticktext = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      tickvals.push(Number((m * 10 ** k).toPrecision(1)));
      const power = `10${String(k).replace(/./g, (c) => SUPERSCRIPT[c])}`;
      ticktext.push(Math.abs(k) <= 3 ? String(tickvals.at(-1)) : m === 1 ? power : `${m}×${power}`);
    }
  }
  return { tickmode: "array", tickvals, ticktext };
}

/** A log axis over values `ys` spanning fewer than `decades` decades, ticked by oneTwoFive
 * (Plotly's own labels every digit there); the axis, changed in place. */
export function fewLogTicks(axis, ys, decades) {
  const v = ys.filter((y) => y > 0 && Number.isFinite(y));
  if (v.length && Math.log10(Math.max(...v) / Math.min(...v)) < decades) Object.assign(axis, oneTwoFive(Math.min(...v), Math.max(...v)));
  return axis;
}

/** How layer l of `depth` is drawn in per-layer line plots: deeper layers bolder. */
const layerLine = (l, depth) => ({ width: 1.5 + (1.5 * (l + 1)) / depth, dash: ["solid", "dash", "dot", "dashdot"][l % 4] });

/** One line per (variant, layer) of a per-layer statistic over epochs; deeper layers drawn bolder. */
function perLayerLines(trace, key) {
  const shown = trace.variants.map((v, i) => [v, i]).filter(([v]) => v.layers[key] && v.layers[key].length);
  // several variants: the legend names each colour once and each layer's line style once
  const many = shown.length > 1;
  const lines = [];
  let depth = 0;
  for (const [v, i] of shown) {
    const m = v.layers[key];
    const { color } = seriesStyle(i);
    depth = m[0].length;
    for (let l = 0; l < depth; l++) {
      lines.push({
        x: trace.frames.slice(0, m.length),
        y: m.map((row) => row[l]),
        type: "scatter",
        mode: "lines",
        name: `${v.label} ${layerName(l, depth)}`,
        legendgroup: `v${i}`,
        showlegend: !many,
        line: { color, ...layerLine(l, depth) },
        opacity: 0.45 + (0.55 * (l + 1)) / depth,
      });
    }
  }
  for (const d of lines) markLone(d);
  // the legend names only what is drawn: no colour of a network that diverged at epoch 0
  const data = many ? variantEntries(shown.filter(([, i]) => lines.some((d) => d.legendgroup === `v${i}` && draws(d)))) : [];
  if (!many) for (const d of lines) d.showlegend = draws(d);
  data.push(...lines);
  if (many) {
    // up to four layers each get a key entry (four dash patterns); deeper nets: the first and last
    const keyed = depth <= 4 ? [...Array(depth).keys()] : [0, depth - 1];
    data.push(...styleEntries(keyed.map((l) => [layerName(l, depth), layerLine(l, depth)])));
  }
  return data;
}

/** Fraction of active units per layer over epochs. */
export function sparsityFigure(trace, { big = false, key = "active_fraction", title = "active fraction", narrow = false, width } = {}) {
  const data = perLayerLines(trace, key);
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  layout.yaxis = { ...layout.yaxis, title: { text: title }, range: [-0.02, 1.02], tickformat: ".0%" };
  layout.hovermode = "x unified";
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

/** Dead units of one recorded frame, from each layer's dead fraction (layers of `widths` units); null if any is null (diverged). */
export function deadUnits(fractions, widths) {
  return !fractions || fractions.some((f) => f === null) ? null : Math.round(fractions.reduce((a, f, l) => a + f * widths[l], 0));
}

/** Dead units (count over all hidden units) over epochs. */
export function deadFigure(trace, { big = false, narrow = false, width } = {}) {
  const widths = trace.config.widths; // (a layer's fraction counts its own units: widths may differ)
  const data = trace.variants.map((v, i) => {
    const { color, dash } = seriesStyle(i);
    const m = v.layers.dead_fraction;
    return {
      x: trace.frames.slice(0, m.length),
      y: m.map((row) => deadUnits(row, widths)), // (null: diverged, not 0 dead)
      type: "scatter",
      mode: "lines",
      name: v.label,
      line: { color, dash, width: 2.5, shape: "hv" },
    };
  });
  // a network that diverged at epoch 1 has one count: a marker; at epoch 0, none: not in the
  // legend (which names only what is drawn)
  for (const d of data) markLone(d);
  if (data.length > 1) for (const d of data) d.showlegend = draws(d);
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  const total = widths.reduce((a, b) => a + b, 0);
  // whole units: integer ticks (they read 0, 0.2, 0.4 …); none dead, an axis of 0–1 and saying so
  const most = Math.max(0, ...data.flatMap((d) => d.y.filter((y) => y !== null)));
  layout.yaxis = { ...layout.yaxis, title: { text: `dead units (of ${total})` }, rangemode: "tozero", tick0: 0, dtick: Math.max(1, Math.ceil(most / 5)), tickformat: "d" };
  if (most === 0) {
    layout.yaxis.range = [-0.05, 1];
    if (data.some(draws)) layout.annotations = [{ text: "no unit is dead", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { color: colours().muted } }];
  }
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

/** Learned PReLU slopes per layer over epochs. */
export function preluFigure(trace, { big = false, narrow = false, width } = {}) {
  const data = perLayerLines(trace, "prelu_slope");
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  layout.yaxis.title = { text: "learned slope a" };
  layout.hovermode = "x unified";
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

/** Pre-activation histograms per layer, at initialisation and at the end. */
export function histogramFigure(trace, { big = false, variant = 0, narrow = false, width } = {}) {
  const v = trace.variants[variant];
  // a network that diverged has none from then on (null), a layer whose z overflowed none (no counts)
  const sets = v.histograms || {};
  const depth = (sets.init || sets.final || []).length;
  // the legend names each layer's colour once, and the two line styles once
  const data = [...Array(depth).keys()].map((l) => legendEntry(layerName(l, depth), { color: seriesStyle(l).color, width: 2 }, `layer${l}`));
  // (epoch 0 alone, after Reset: the end is the init)
  const untrained = trace.frames.length > 0 && Math.max(...trace.frames) === 0;
  const which = [
    ["init", "at init", "dot"],
    ["final", "at the end", "solid"],
  ].filter(([key]) => !(untrained && key === "final"));
  const missing = [];
  const overflowed = new Set();
  for (const [key, label, dash] of which) {
    if (!sets[key]) {
      missing.push(label);
      continue;
    }
    sets[key].forEach((h, l) => {
      if (!h.counts.length) {
        overflowed.add(layerName(l, depth));
        return;
      }
      const centres = h.counts.map((_, j) => (h.edges[j] + h.edges[j + 1]) / 2);
      const total = h.counts.reduce((a, b) => a + b, 0) || 1;
      data.push({
        x: centres,
        y: h.counts.map((c) => c / total),
        type: "scatter",
        mode: "lines",
        line: { color: seriesStyle(l).color, dash, shape: "hvh", width: 2 },
        name: `${layerName(l, depth)} ${label}`,
        legendgroup: `layer${l}`,
        showlegend: false,
      });
    });
  }
  data.push(...styleEntries(which.map(([, label, dash]) => [label, { dash }])));
  const layout = trainLayout({ big });
  layout.xaxis.title = { text: "pre-activation z" };
  layout.yaxis.title = { text: "fraction of z values" };
  layout.shapes = [{ type: "line", x0: 0, x1: 0, yref: "paper", y0: 0, y1: 1, line: { color: colours().zero, width: 1.5 } }];
  const notes = [];
  const diverged = v.diverged_at_epoch !== null && v.diverged_at_epoch !== undefined ? `diverged at epoch ${v.diverged_at_epoch}` : "not finite";
  if (missing.length === which.length) notes.push(`No histograms: the network ${diverged}.`);
  else if (missing.length) notes.push(`None ${missing.join(", ")}: the network ${diverged}.`);
  if (overflowed.size) notes.push(`None for ${[...overflowed].join(", ")}: z spans more than floating point holds.`);
  if (notes.length) {
    layout.annotations = [{ text: notes.join("<br>"), xref: "paper", yref: "paper", x: 0.5, y: missing.length === which.length ? 0.5 : 1, xanchor: "center", yanchor: missing.length === which.length ? "middle" : "top", showarrow: false, font: { color: colours().muted } }];
  }
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

/** Decision boundary at one boundary frame, with the data points, one subplot per variant. */
export function boundaryFigure(trace, frameIndex, { big = false, narrow = false, width, discrete = false, cols } = {}) {
  const n = trace.variants.length;
  const own = n === 1 && trace.config.dataset === "own";
  const stacked = narrow && n > 1;
  const grid = trace.variants[0].boundary;
  // on a phone, rows (stacked or one) as tall as the data's aspect ratio makes them at the plot's width (less margins and colour bar)
  const span = (a) => a[a.length - 1] - a[0];
  // a phone's colour bar lies under the maps (beside them it took half a phone's plot width)
  const under = narrow && !own;
  const aspect = span(grid.y) / span(grid.x);
  const row = under ? Math.round(Math.min(260, Math.max(100, ((width || 340) - 80) * aspect))) : phoneMapRow(width, aspect);
  const barGap = 30; // under the maps: their ticks, then the bar (10 px, its title above it)
  const layout = subplotLayout(n, { big, gap: 0.04, stacked, row, cols: cols || n });
  const data = [];
  const pts = trace.data.train;
  const test = trace.data.test;
  const task = trace.task || "binary";
  const classes = trace.classes || 2;
  trace.variants.forEach((v, i) => {
    const [xa, ya] = axisRefs(i);
    const b = v.boundary;
    const k = Math.min(frameIndex, b.p.length - 1);
    if (k >= 0 && b.p[k]) {
      const cells = boundaryCells(task, b.p[k], classes, discrete);
      data.push({
        type: "heatmap",
        x: b.x,
        y: b.y,
        z: cells.z,
        zmin: cells.zmin,
        zmax: cells.zmax,
        colorscale: cells.colorscale,
        text: cells.text,
        opacity: 0.75,
        showscale: i === n - 1 && cells.bar !== null,
        colorbar: under
          ? { orientation: "h", thickness: 10, x: 0, xanchor: "left", len: 1, y: -barGap / (stacked ? stackPx(n, row) : row), yanchor: "top", title: { text: cells.bar || "", side: "top" } }
          : { title: { text: cells.bar || "", side: "right" }, thickness: 12 },
        xaxis: xa,
        yaxis: ya,
        hovertemplate: `(%{x:.2f}, %{y:.2f})<br>${cells.hover}<extra></extra>`,
      });
    }
    const points = [...pointTraces(pts, "circle", "train", task, classes, [xa, ya], i === 0), ...pointTraces(test, "triangle-up", "test", task, classes, [xa, ya], i === 0)];
    // classes: each colour named once ("class 0", its train and test points as one), the two
    // marker shapes by the style keys below (four entries "class 0 (train)" … took two rows)
    if (task !== "regression") for (const d of points) Object.assign(d, { name: d.name.replace(/ \(\w+\)$/, ""), legendgroup: d.legendgroup.replace(/^\D+/, "class"), showlegend: d.showlegend && d.marker.symbol === "circle" });
    data.push(...points);
    const [xkey, ykey] = axisKeys(i);
    layout[ykey].scaleanchor = xa;
    layout[ykey].constrain = "domain";
    layout[ykey].constraintoward = "top"; // the plot stays under its title
    layout[xkey].constrain = "domain";
    // the grid's own square or box (own points: the plane they were drawn on), with no autorange
    // half a cell beyond it and no stretch of x to the plot's aspect
    layout[xkey].range = [b.x[0], b.x[b.x.length - 1]];
    layout[ykey].range = [b.y[0], b.y[b.y.length - 1]];
    layout[xkey].showgrid = false;
    layout[ykey].showgrid = false;
  });
  if (task !== "regression") data.push(...styleEntries([["train", { width: 0 }, { symbol: "circle" }], ["test", { width: 0 }, { symbol: "triangle-up" }]]));
  const ep = grid.frames[Math.min(frameIndex, grid.frames.length - 1)];
  if (n > 1) {
    // each subplot is titled with its activation; the epoch, shared, heads the figure
    subplotTitles(layout, trace.variants.map((v) => v.label), { stacked });
    layout.title = { text: `epoch ${ep}`, x: 0, xref: "paper", xanchor: "left", y: 1, yref: "container", yanchor: "top", pad: { t: 6 }, font: { size: 13 } };
    layout.margin.t += 22;
  } else {
    subplotTitles(layout, [`epoch ${ep}`]);
  }
  layout.legend = { ...layout.legend, y: -0.08, yanchor: "top" };
  layout.margin.b = 30;
  if (narrow) {
    // as tall as the map at this width; ticks, no axis title (and the colour bar under them)
    phoneLayout(layout, data, { plotPx: stacked ? stackPx(n, row) : row, width, colourBar: !under, axis: under ? barGap + BAR_UNDER_PX : 30 });
  }
  if (own) drawingPlane(layout, narrow);
  // on a touch screen a tap must reach the page as a click (it selects the nearest point for the
  // network's numbers): a drag mode swallows it, leaving only Plotly's own click at (0, 0)
  else if (touchScreen()) layout.dragmode = false;
  return { data, layout, config: own ? DRAWING : undefined };
}

/** A parameter's name as the controls show it: "learning rate", not "learning_rate". */
const paramName = (sweep, label) => label || sweep.param.replace(/_/g, " ");

/** A sweep: one metric against the swept parameter, one line per activation. */
export function sweepFigure(sweep, metric, { big = false, metricLabel = metric, paramLabel, narrow = false, width } = {}) {
  const param = paramName(sweep, paramLabel);
  const data = [];
  const lost = []; // a diverged run has no final value: its × goes on the x axis, at its value
  sweep.series.forEach((s, i) => {
    const { color, dash } = seriesStyle(i);
    const diverged = s.diverged_at_epoch.map((d) => d !== null);
    const line = {
      x: sweep.values,
      y: s[metric],
      type: "scatter",
      mode: "lines+markers",
      name: s.label,
      legendgroup: `s${i}`,
      line: { color, dash, width: 2.5 },
      marker: { size: 9, color, symbol: diverged.map((d) => (d ? "x" : "circle")) },
      hovertemplate: `${param} = %{x}<br>${metricLabel} = %{y:.3g}<extra>${s.label}</extra>`,
    };
    const shown = draws(line, metric === "final_loss");
    if (!shown) line.showlegend = false; // (the legend names only what is drawn)
    data.push(line);
    const at = sweep.values.map((_, j) => j).filter((j) => diverged[j] && !(Number.isFinite(s[metric][j]) && s[metric][j] !== null));
    if (!at.length) return;
    lost.push({
      x: at.map((j) => sweep.values[j]),
      y: at.map(() => 0),
      customdata: at.map((j) => s.diverged_at_epoch[j]),
      type: "scatter",
      mode: "markers",
      name: `${s.label} (diverged)`,
      legendgroup: `s${i}`,
      meta: "diverged",
      yaxis: "y2",
      cliponaxis: false,
      marker: { size: 10, color, symbol: "x" },
      hovertemplate: `${param} = %{x}<br>diverged at epoch %{customdata}<extra>${s.label}</extra>`,
      ...(shown ? { showlegend: false } : {}),
    });
  });
  data.push(...lost);
  const layout = trainLayout({ big });
  if (lost.length) layout.yaxis2 = { overlaying: "y", range: [0, 1], visible: false, fixedrange: true };
  const logX = sweep.values.every((v) => v > 0) && Math.max(...sweep.values) / Math.min(...sweep.values) >= 50;
  layout.xaxis = { ...layout.xaxis, title: { text: param }, type: logX ? "log" : "linear" };
  // one value (or one repeated): around it, not Plotly's −0.5 to 1 for a lone point
  const [lo, hi] = [Math.min(...sweep.values), Math.max(...sweep.values)];
  if (lo === hi) layout.xaxis.range = lo ? [Math.min(0.5 * lo, 1.5 * lo), Math.max(0.5 * lo, 1.5 * lo)] : [-1, 1];
  // within three decades Plotly labels every digit of a wide log axis ("8 9 0.01" run together): only 2s and 5s
  if (logX && hi / lo < 1000) layout.xaxis.dtick = "D2";
  layout.yaxis = { ...layout.yaxis, title: { text: metricLabel } };
  if (metric.includes("fraction") || metric.includes("accuracy")) layout.yaxis.range = [-0.02, 1.02];
  if (metric === "final_loss") layout.yaxis = { ...layout.yaxis, type: "log", exponentformat: "power", automargin: true };
  if (narrow) phoneLayout(layout, data, { width });
  return { data, layout };
}

/**
 * The colour of the j-th of n swept values: viridis from dark to light, evenly spaced. It stops
 * short of the palest yellow on a light background, and of the darkest purple on a dark one.
 */
export function valueColour(j, n) {
  const [from, to] = currentTheme() === "light" ? [0, 0.9] : [0.2, 1];
  return viridis(from + (n > 1 ? ((to - from) * j) / (n - 1) : 0));
}

/** Training loss over epochs for every swept value (one panel per activation series). */
export function sweepCurvesFigure(sweep, { big = false, key = "loss", label = "training loss", paramLabel, narrow = false, width } = {}) {
  const n = sweep.series.length;
  const stacked = narrow && n > 1;
  const layout = subplotLayout(n, { big, stacked });
  const data = [];
  sweep.series.forEach((s, i) => {
    const [xa, ya] = axisRefs(i);
    s[key].forEach((curve, j) => {
      data.push({
        x: sweep.frames.slice(0, curve.length),
        y: curve,
        type: "scatter",
        mode: "lines",
        name: formatValue(sweep.values[j]),
        legendgroup: `val${j}`,
        showlegend: false,
        line: { width: 2, color: valueColour(j, sweep.values.length) },
        xaxis: xa,
        yaxis: ya,
        // losses to three digits; other values as their axis formats them
        hovertemplate: `epoch %{x}<br>${label} = ${key === "loss" ? "%{y:.3g}" : "%{y}"}<extra>${s.label}, ${paramName(sweep, paramLabel)} = ${formatValue(sweep.values[j])}</extra>`,
      });
    });
    const [xkey, ykey] = axisKeys(i);
    layout[ykey].title = stacked || i === 0 ? { text: label } : undefined;
    if (key === "loss") layout[ykey] = { ...layout[ykey], type: "log", exponentformat: "power", automargin: true, dtick: decadeStep(s[key]) };
    layout[xkey].title = !stacked || i === n - 1 ? { text: "epoch" } : undefined;
  });
  // a run that diverged after its first frame: its lone loss a marker (as a line it drew nothing);
  // each value named once, by the first of its curves drawn (none: the value is not named)
  for (const d of data) markLone(d);
  sweep.values.forEach((_, j) => {
    const first = data.find((d) => d.legendgroup === `val${j}` && draws(d, key === "loss"));
    if (first) Object.assign(first, { showlegend: true, legendrank: 1000 + j }); // (in the values' order, whichever panel names it)
  });
  subplotTitles(layout, sweep.series.map((s) => s.label), { stacked });
  // the legend is the colour key of the values, titled with the parameter's name
  layout.legend = { ...layout.legend, orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top", title: { text: paramName(sweep, paramLabel) } };
  if (narrow) phoneLayout(layout, data, { plotPx: stacked ? stackPx(n) : PHONE.plot, width });
  return { data, layout };
}

/** Log-axis tick step in decades: every decade, or every few when the curves span many. */
function decadeStep(curves) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves) for (const y of c) if (y > 0) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
  if (!Number.isFinite(lo)) return 1;
  return Math.max(1, Math.ceil((Math.ceil(Math.log10(hi)) - Math.floor(Math.log10(lo))) / 5));
}

/** 0.001, 3, 1e-7: a swept value as short as it reads. */
const formatValue = (v) => String(Number(v.toPrecision(6)));

const VIRIDIS = ["#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
/** Viridis at t in [0, 1], interpolated between its ten anchor colours. */
export function viridis(t) {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const rgb = (hex) => [1, 3, 5].map((p) => parseInt(hex.slice(p, p + 2), 16));
  const [a, b] = [rgb(VIRIDIS[k]), rgb(VIRIDIS[k + 1])];
  return `#${a.map((c, m) => Math.round(c + (b[m] - c) * (x - k)).toString(16).padStart(2, "0")).join("")}`;
}
