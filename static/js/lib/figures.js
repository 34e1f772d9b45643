// Plotly figures built from API responses. Pure functions (data in, {data, layout} out),
// shared by the explorer, the embeds and the lessons.

import { baseLayout, colours, divergingScale, SEQUENTIAL, seriesStyle } from "./theme.js";

export function rgba(hex, alpha) {
  const h = hex.replace("#", "");
  const n = parseInt(h.length === 3 ? h.replace(/./g, (c) => c + c) : h, 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

const pct = (p) => `${Math.round(p * 100)}`;

/**
 * f(x) above, f'(x) below, sharing x. curves: [{label, data, style?}] where data is a
 * /api/curve response. opts: {regions, samples, big, derivative}
 */
export function functionFigure(curves, { regions = true, samples = true, big = false, derivative = true } = {}) {
  const c = colours();
  const data = [];
  const shapes = [];
  const twoRows = derivative;
  curves.forEach((curve, i) => {
    const { color, dash } = curve.style || seriesStyle(i);
    const d = curve.data;
    const group = `c${i}`;
    if (d.noise) {
      const n = d.noise;
      data.push({ x: d.x, y: n.low, type: "scatter", mode: "lines", line: { width: 0, color }, hoverinfo: "skip", showlegend: false, legendgroup: group, yaxis: "y" });
      data.push({
        x: d.x,
        y: n.high,
        type: "scatter",
        mode: "lines",
        fill: "tonexty",
        fillcolor: rgba(color, 0.18),
        line: { width: 0, color },
        name: `${curve.label}: ${pct(n.p_low)}–${pct(n.p_high)} % band`,
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
          name: `${curve.label}: samples`,
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
      name: d.noise ? `${curve.label}: mean` : curve.label,
      legendgroup: group,
      hovertemplate: `x=%{x:.3f}<br>f(x)=%{y:.4g}<extra>${curve.label}</extra>`,
      yaxis: "y",
    });
    if (twoRows) {
      data.push({
        x: d.x,
        y: d.dy,
        type: "scatter",
        mode: "lines",
        line: { color, dash, width: 2.5 },
        name: `${curve.label}: f′`,
        legendgroup: group,
        showlegend: false,
        hovertemplate: `x=%{x:.3f}<br>f′(x)=%{y:.4g}<extra>${curve.label}</extra>`,
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
          name: `${curve.label}: ${r.kind === "dead" ? "f′ = 0 (dead)" : "|f′| < ε (saturated)"}`,
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
          fillcolor: rgba(color, r.kind === "dead" ? 0.14 : 0.07),
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
  if (twoRows) {
    layout.yaxis = { ...layout.yaxis, domain: [0.4, 1], title: { text: "f(x)" } };
    layout.yaxis2 = { ...layout.yaxis, domain: [0, 0.32], title: { text: "f′(x)" } };
    layout.xaxis = { ...layout.xaxis, anchor: "y2", title: { text: "x" }, range: xrange, autorange: false };
  } else {
    layout.yaxis = { ...layout.yaxis, title: { text: "f(x)" } };
    layout.xaxis = { ...layout.xaxis, title: { text: "x" }, range: xrange, autorange: false };
  }
  return { data, layout };
}

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

const layerName = (i, n) => (i === 0 ? `layer 1 (input side)` : i === n - 1 ? `layer ${n} (output side)` : `layer ${i + 1}`);

/** Loss (left axis, log) and accuracy (right axis) over epochs, train and test, per variant. */
export function lossFigure(trace, { big = false } = {}) {
  const data = [];
  trace.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    const name = v.label;
    const ep = trace.frames.slice(0, v.loss.train.length);
    data.push({ x: ep, y: v.loss.train, name: `${name} train loss`, line: { color, width: 2.5 }, legendgroup: `v${i}` });
    data.push({ x: ep, y: v.loss.test, name: `${name} test loss`, line: { color, width: 2, dash: "dash" }, legendgroup: `v${i}` });
    data.push({ x: ep, y: v.accuracy.test, name: `${name} test accuracy`, line: { color, width: 1.5, dash: "dot" }, yaxis: "y2", legendgroup: `v${i}` });
  });
  for (const d of data) {
    d.type = "scatter";
    d.mode = "lines";
  }
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  layout.yaxis = { ...layout.yaxis, title: { text: "cross-entropy loss" }, type: "log", dtick: 1, exponentformat: "power" };
  layout.yaxis2 = { ...baseLayout({ big }).yaxis, title: { text: "test accuracy" }, overlaying: "y", side: "right", range: [0, 1.02], tickmode: "array", tickvals: [0, 0.25, 0.5, 0.75, 1], tickformat: ".0%", showgrid: false, zeroline: false };
  layout.margin.r = 56;
  layout.hovermode = "x unified";
  return { data, layout };
}

function subplotLayout(n, { big = false, gap = 0.06 } = {}) {
  const layout = baseLayout({ big });
  const w = (1 - gap * (n - 1)) / n;
  for (let i = 0; i < n; i++) {
    const key = i === 0 ? "xaxis" : `xaxis${i + 1}`;
    layout[key] = { ...baseLayout({ big }).xaxis, domain: [i * (w + gap), i * (w + gap) + w], anchor: i === 0 ? "y" : `y${i + 1}` };
    const ykey = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    layout[ykey] = { ...baseLayout({ big }).yaxis, anchor: i === 0 ? "x" : `x${i + 1}` };
  }
  return layout;
}

function subplotTitles(layout, titles) {
  layout.annotations = titles.map((t, i) => {
    const dom = layout[i === 0 ? "xaxis" : `xaxis${i + 1}`].domain;
    return { text: t, x: (dom[0] + dom[1]) / 2, y: 1.0, xref: "paper", yref: "paper", yanchor: "bottom", showarrow: false, font: { size: 13 } };
  });
  layout.margin.t = 34;
}

/** Gradient flow: log10 of each layer's input-gradient norm, layer × epoch, one heatmap per variant. */
export function gradientFlowFigure(trace, { big = false, key = "grad_norm_input" } = {}) {
  const n = trace.variants.length;
  const layout = subplotLayout(n, { big });
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
  trace.variants.forEach((v, i) => {
    const z = zs[i];
    data.push({
      type: "heatmap",
      x: trace.frames.slice(0, v.layers[key].length),
      y: z.map((_, l) => l + 1),
      z,
      zmin: lo,
      zmax: hi,
      colorscale: SEQUENTIAL,
      showscale: i === n - 1,
      colorbar: { title: { text: "log₁₀ ‖∇‖", side: "right" }, thickness: 12 },
      xaxis: i === 0 ? "x" : `x${i + 1}`,
      yaxis: i === 0 ? "y" : `y${i + 1}`,
      hovertemplate: "epoch %{x}<br>layer %{y}<br>log₁₀‖∇‖ = %{z:.2f}<extra>" + v.label + "</extra>",
    });
    const ykey = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    const xkey = i === 0 ? "xaxis" : `xaxis${i + 1}`;
    layout[ykey].title = i === 0 ? { text: "layer (1 = input side)" } : undefined;
    layout[ykey].dtick = 1;
    layout[xkey].title = { text: "epoch" };
  });
  if (n > 1) subplotTitles(layout, trace.variants.map((v) => v.label));
  return { data, layout };
}

/** Per-layer gradient norms at one frame (default: the first, i.e. at initialisation) and the last. */
export function gradientNormsFigure(trace, { big = false } = {}) {
  const data = [];
  trace.variants.forEach((v, i) => {
    const { color } = seriesStyle(i);
    const m = v.layers.grad_norm_input;
    if (!m.length) return;
    const layers = m[0].map((_, l) => l + 1);
    data.push({ x: layers, y: m[0], name: `${v.label} at init`, type: "scatter", mode: "lines+markers", line: { color, dash: "dot" }, marker: { color, size: 8 } });
    data.push({ x: layers, y: m[m.length - 1], name: `${v.label} at epoch ${trace.frames[m.length - 1]}`, type: "scatter", mode: "lines+markers", line: { color }, marker: { color, size: 8, symbol: "diamond" } });
  });
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "layer (1 = input side)" };
  layout.xaxis.dtick = 1;
  layout.yaxis = { ...layout.yaxis, type: "log", title: { text: "‖∂L/∂(layer input)‖" }, exponentformat: "power" };
  return { data, layout };
}

/** One line per (variant, layer) of a per-layer statistic over epochs; deeper layers drawn bolder. */
function perLayerLines(trace, key) {
  const data = [];
  trace.variants.forEach((v, i) => {
    const m = v.layers[key];
    if (!m || !m.length) return;
    const { color } = seriesStyle(i);
    const depth = m[0].length;
    for (let l = 0; l < depth; l++) {
      data.push({
        x: trace.frames.slice(0, m.length),
        y: m.map((row) => row[l]),
        type: "scatter",
        mode: "lines",
        name: `${v.label} ${layerName(l, depth)}`,
        legendgroup: `v${i}`,
        line: { color, width: 1.5 + (1.5 * (l + 1)) / depth, dash: ["solid", "dash", "dot", "dashdot"][l % 4] },
        opacity: 0.45 + (0.55 * (l + 1)) / depth,
      });
    }
  });
  return data;
}

/** Fraction of active units per layer over epochs. */
export function sparsityFigure(trace, { big = false, key = "active_fraction", title = "active fraction" } = {}) {
  const data = perLayerLines(trace, key);
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  layout.yaxis = { ...layout.yaxis, title: { text: title }, range: [-0.02, 1.02], tickformat: ".0%" };
  layout.hovermode = "x unified";
  return { data, layout };
}

/** Dead units (count over all hidden units) over epochs. */
export function deadFigure(trace, { big = false } = {}) {
  const width = trace.config.width;
  const data = trace.variants.map((v, i) => {
    const { color, dash } = seriesStyle(i);
    const m = v.layers.dead_fraction;
    return {
      x: trace.frames.slice(0, m.length),
      y: m.map((row) => Math.round(row.reduce((a, b) => a + b, 0) * width)),
      type: "scatter",
      mode: "lines",
      name: v.label,
      line: { color, dash, width: 2.5, shape: "hv" },
    };
  });
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  const total = trace.config.width * trace.config.depth;
  layout.yaxis = { ...layout.yaxis, title: { text: `dead units (of ${total})` }, rangemode: "tozero" };
  return { data, layout };
}

/** Learned PReLU slopes per layer over epochs. */
export function preluFigure(trace, { big = false } = {}) {
  const data = perLayerLines(trace, "prelu_slope");
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "epoch" };
  layout.yaxis.title = { text: "learned slope a" };
  layout.hovermode = "x unified";
  return { data, layout };
}

/** Pre-activation histograms per layer, at initialisation and at the end. */
export function histogramFigure(trace, { big = false, variant = 0 } = {}) {
  const v = trace.variants[variant];
  const data = [];
  const depth = v.histograms.init.length;
  const which = [
    ["init", "at init", "dot"],
    ["final", "at the end", "solid"],
  ];
  for (const [key, label, dash] of which) {
    v.histograms[key].forEach((h, l) => {
      const centres = h.counts.map((_, j) => (h.edges[j] + h.edges[j + 1]) / 2);
      const total = h.counts.reduce((a, b) => a + b, 0) || 1;
      data.push({
        x: centres,
        y: h.counts.map((c) => c / total),
        type: "scatter",
        mode: "lines",
        line: { color: seriesStyle(l).color, dash, shape: "hvh", width: 2 },
        name: `${layerName(l, depth)} ${label}`,
      });
    });
  }
  const layout = baseLayout({ big });
  layout.xaxis.title = { text: "pre-activation z" };
  layout.yaxis.title = { text: "fraction of (unit, input) pairs" };
  layout.shapes = [{ type: "line", x0: 0, x1: 0, yref: "paper", y0: 0, y1: 1, line: { color: colours().zero, width: 1.5 } }];
  return { data, layout };
}

/** Decision boundary at one boundary frame, with the data points, one subplot per variant. */
export function boundaryFigure(trace, frameIndex, { big = false } = {}) {
  const n = trace.variants.length;
  const layout = subplotLayout(n, { big, gap: 0.04 });
  const data = [];
  const pts = trace.data.train;
  const test = trace.data.test;
  const scale = divergingScale();
  trace.variants.forEach((v, i) => {
    const xa = i === 0 ? "x" : `x${i + 1}`;
    const ya = i === 0 ? "y" : `y${i + 1}`;
    const b = v.boundary;
    const k = Math.min(frameIndex, b.p.length - 1);
    if (k >= 0 && b.p[k]) {
      data.push({
        type: "heatmap",
        x: b.x,
        y: b.y,
        z: b.p[k],
        zmin: 0,
        zmax: 1,
        colorscale: scale,
        opacity: 0.75,
        showscale: i === n - 1,
        colorbar: { title: { text: "P(class 1)", side: "right" }, thickness: 12 },
        xaxis: xa,
        yaxis: ya,
        hovertemplate: "(%{x:.2f}, %{y:.2f})<br>P(class 1) = %{z:.2f}<extra></extra>",
      });
    }
    for (const [set, symbol, label] of [
      [pts, "circle", "train"],
      [test, "triangle-up", "test"],
    ]) {
      for (const cls of [0, 1]) {
        const xs = [];
        const ys = [];
        set.y.forEach((yy, j) => {
          if (yy === cls) {
            xs.push(set.x[j][0]);
            ys.push(set.x[j][1]);
          }
        });
        data.push({
          type: "scatter",
          mode: "markers",
          x: xs,
          y: ys,
          xaxis: xa,
          yaxis: ya,
          name: `class ${cls} (${label})`,
          legendgroup: `${label}${cls}`,
          showlegend: i === 0,
          marker: { symbol, size: label === "train" ? 6 : 7, color: cls ? "#D55E00" : "#0072B2", line: { width: 1, color: "#ffffff" } },
          hoverinfo: "skip",
        });
      }
    }
    const xkey = i === 0 ? "xaxis" : `xaxis${i + 1}`;
    const ykey = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    layout[ykey].scaleanchor = xa;
    layout[ykey].constrain = "domain";
    layout[xkey].constrain = "domain";
    layout[xkey].showgrid = false;
    layout[ykey].showgrid = false;
  });
  const ep = trace.variants[0].boundary.frames[Math.min(frameIndex, trace.variants[0].boundary.frames.length - 1)];
  subplotTitles(layout, trace.variants.map((v) => (n > 1 ? `${v.label} — epoch ${ep}` : `epoch ${ep}`)));
  layout.legend = { ...layout.legend, y: -0.08, yanchor: "top" };
  layout.margin.b = 30;
  return { data, layout };
}

/** A sweep: one metric against the swept parameter, one line per activation. */
export function sweepFigure(sweep, metric, { big = false, metricLabel = metric } = {}) {
  const data = sweep.series.map((s, i) => {
    const { color, dash } = seriesStyle(i);
    const diverged = s.diverged_at_epoch.map((d) => d !== null);
    return {
      x: sweep.values,
      y: s[metric],
      type: "scatter",
      mode: "lines+markers",
      name: s.label,
      line: { color, dash, width: 2.5 },
      marker: { size: 9, color, symbol: diverged.map((d) => (d ? "x" : "circle")) },
      hovertemplate: `${sweep.param}=%{x}<br>${metricLabel}=%{y:.3g}<extra>${s.label}</extra>`,
    };
  });
  const layout = baseLayout({ big });
  const logX = sweep.values.every((v) => v > 0) && Math.max(...sweep.values) / Math.min(...sweep.values) >= 50;
  layout.xaxis = { ...layout.xaxis, title: { text: sweep.param.replace(/_/g, " ") }, type: logX ? "log" : "linear" };
  layout.yaxis = { ...layout.yaxis, title: { text: metricLabel } };
  if (metric.includes("fraction") || metric.includes("accuracy")) layout.yaxis.range = [-0.02, 1.02];
  if (metric === "final_loss") layout.yaxis.type = "log";
  return { data, layout };
}

/** Training loss over epochs for every swept value (one panel per activation series). */
export function sweepCurvesFigure(sweep, { big = false, key = "loss", label = "training loss" } = {}) {
  const n = sweep.series.length;
  const layout = subplotLayout(n, { big });
  const data = [];
  sweep.series.forEach((s, i) => {
    const xa = i === 0 ? "x" : `x${i + 1}`;
    const ya = i === 0 ? "y" : `y${i + 1}`;
    s[key].forEach((curve, j) => {
      const t = sweep.values.length > 1 ? j / (sweep.values.length - 1) : 0;
      data.push({
        x: sweep.frames.slice(0, curve.length),
        y: curve,
        type: "scatter",
        mode: "lines",
        name: `${sweep.param}=${sweep.values[j]}`,
        legendgroup: `val${j}`,
        showlegend: i === 0,
        line: { width: 2, color: viridis(t) },
        xaxis: xa,
        yaxis: ya,
      });
    });
    const ykey = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    layout[ykey].title = i === 0 ? { text: label } : undefined;
    if (key === "loss") layout[ykey].type = "log";
    const xkey = i === 0 ? "xaxis" : `xaxis${i + 1}`;
    layout[xkey].title = { text: "epoch" };
  });
  subplotTitles(layout, sweep.series.map((s) => s.label));
  layout.legend = { ...layout.legend, y: -0.22, yanchor: "top" };
  layout.margin.b = 80;
  return { data, layout };
}

const VIRIDIS = ["#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
export function viridis(t) {
  const k = Math.max(0, Math.min(VIRIDIS.length - 1, Math.round(t * (VIRIDIS.length - 1))));
  return VIRIDIS[k];
}
