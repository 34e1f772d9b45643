// The network lab's diagram as a panel like every other (meta "panels": "network"): its head's
// export buttons — PNG and SVG of the diagram redrawn at slide size (it is HTML and SVG, not a
// Plotly plot), CSV and JSON of its numbers (every unit's and every weight's), and the embed
// snippet of /embed/network.

import { Diagram, EDGE, MAX_EDGES } from "./diagram.js";
import { download, exportable, exportActions, SLIDE, toCSV } from "./panel.js";
import { colours } from "./theme.js";

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (x) => (x === null || x === undefined ? "" : x);

/** Words of ``text`` in lines of at most ``n`` characters. */
function wrap(text, n) {
  const lines = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > n) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

export class DiagramPanel {
  /** root: the panel (#diagram-panel: a head with its title and help, and a .diagram-box);
   * opts: {title, help (meta.panels.network), name (of exported files and the embed), labels
   * (meta.labels.features), onEmbed(panel)}. */
  constructor(root, { title, help, name, labels, onEmbed }) {
    this.root = root;
    this.name = name;
    this.embedName = name;
    this.titleEl = root.querySelector("h2");
    this.titleEl.textContent = title;
    const dot = root.querySelector(".help-dot");
    dot.title = help;
    this.actions = exportActions(title, {
      image: (format) => this.image(format),
      csv: () => this.exportCSV(),
      json: () => this.exportJSON(),
      embed: onEmbed ? () => onEmbed(this) : null,
    });
    dot.after(this.actions);
    this.diagram = new Diagram(root.querySelector(".diagram-box"), { labels });
    this.labels = labels;
    this.shown = null;
    exportable(this.actions, false);
  }

  /** Draw network ``variant`` of run ``trace`` (a train response). */
  draw(variant, trace) {
    this.diagram.draw(variant.diagram, { task: trace.task, config: trace.config, n_train: trace.data.train.x.length, label: variant.label });
    this.shown = { variant, trace };
    exportable(this.actions, true);
  }

  /** Nothing drawn (Reset, a run without a diagram): nothing to export. */
  clear() {
    this.shown = null;
    exportable(this.actions, false);
  }

  /** The diagram as an SVG document at slide size (1280 × 720, as the plots' exports): every
   * node's heatmap (the canvases drawn on the page), every weight's edge, the layers named. */
  svg() {
    const dg = this.diagram;
    const d = dg.d;
    const { width: W, height: H } = SLIDE;
    const c = colours();
    const bg = c.bg || "#ffffff";
    const text = c.text || "#222222";
    const border = c.border || "#cccccc";
    const danger = c.danger || "#b3261e";
    const font = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, DejaVu Sans, sans-serif";
    const cols = dg.columns;
    const hidden = cols.length - 2;
    const caption = wrap(dg.summary.textContent, 150);
    const top = 56;
    const bottom = 24 + caption.length * 20;
    const room = H - top - bottom;
    const maxCount = Math.max(...cols);
    const size = Math.max(10, Math.min(72, Math.floor(room / (maxCount * 1.25))));
    const left = 70;
    const xs = cols.map((_, i) => left + size / 2 + ((W - left - 40 - size) * i) / (cols.length - 1));
    const ys = cols.map((n) => Array.from({ length: n }, (_, j) => top + room / 2 + (j - (n - 1) / 2) * size * 1.25));
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(font)}">`];
    out.push(`<rect width="${W}" height="${H}" fill="${esc(bg)}"/>`);
    // edges: as on the page, each layer's weights scaled by its largest; the largest MAX_EDGES
    const lines = [];
    d.weights.W.forEach((Wl, l) => {
      const m = Math.max(1e-12, ...Wl.flat().map(Math.abs));
      Wl.forEach((row, i) => row.forEach((w, j) => lines.push({ l, i, j, w, t: Math.abs(w) / m })));
    });
    const drawn = lines.length > MAX_EDGES ? [...lines].sort((a, b) => b.t - a.t).slice(0, MAX_EDGES) : lines;
    const thick = size / 36;
    out.push(`<g fill="none">`);
    for (const e of drawn) {
      out.push(`<line x1="${(xs[e.l] + size / 2).toFixed(1)}" y1="${ys[e.l][e.i].toFixed(1)}" x2="${(xs[e.l + 1] - size / 2).toFixed(1)}" y2="${ys[e.l + 1][e.j].toFixed(1)}" stroke="${e.w >= 0 ? EDGE.positive : EDGE.negative}" stroke-width="${((0.4 + 3.6 * e.t) * thick).toFixed(2)}" stroke-opacity="${(0.25 + 0.6 * e.t).toFixed(2)}"/>`);
    }
    out.push(`</g>`);
    // nodes: the page's own heatmaps (canvases) as images, dead units crossed out
    cols.forEach((n, col) => {
      for (let row = 0; row < n; row++) {
        const x = xs[col] - size / 2;
        const y = ys[col][row] - size / 2;
        const canvas = dg.button(col, row)?.querySelector("canvas");
        const dead = col > 0 && col <= hidden && d.dead[col - 1][row];
        const href = canvas ? canvas.toDataURL("image/png") : "";
        out.push(`<g${dead ? ' opacity="0.55"' : ""}>`);
        if (href) out.push(`<image x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${size}" height="${size}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${href}" xlink:href="${href}"/>`);
        out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${size}" height="${size}" rx="4" fill="none" stroke="${esc(dead ? danger : border)}" stroke-width="${dead ? 2 : 1}"${dead ? ' stroke-dasharray="4 3"' : ""}/>`);
        if (dead) out.push(`<text x="${xs[col].toFixed(1)}" y="${ys[col][row].toFixed(1)}" text-anchor="middle" dominant-baseline="central" font-size="${Math.round(size * 0.5)}" font-weight="700" fill="${esc(danger)}">✕</text>`);
        out.push(`</g>`);
        if (col === 0) out.push(`<text x="${(x - 8).toFixed(1)}" y="${ys[col][row].toFixed(1)}" text-anchor="end" dominant-baseline="central" font-size="16" fill="${esc(text)}">${esc(this.labels[dg.columnsFeatures[row]] || dg.columnsFeatures[row])}</text>`);
      }
    });
    // what each column is
    const heads = cols.map((n, col) => (col === 0 ? "inputs" : col <= hidden ? `layer ${col} (${n})` : dg.task === "multiclass" ? `output (${n} classes)` : "output"));
    heads.forEach((h, col) => out.push(`<text x="${xs[col].toFixed(1)}" y="${top - 22}" text-anchor="middle" font-size="16" font-weight="600" fill="${esc(text)}">${esc(h)}</text>`));
    caption.forEach((line, k) => out.push(`<text x="24" y="${H - bottom + 20 + k * 20}" font-size="15" fill="${esc(text)}">${esc(line)}</text>`));
    out.push("</svg>");
    return out.join("\n");
  }

  /** PNG (1920 × 1080: the SVG at the slides' scale) or SVG of the diagram. */
  async image(format) {
    if (!this.shown) return;
    const svg = this.svg();
    if (format === "svg") {
      download(`${this.name}.svg`, svg, "image/svg+xml");
      return;
    }
    const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(SLIDE.width * SLIDE.scale);
      canvas.height = Math.round(SLIDE.height * SLIDE.scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      const png = await new Promise((done) => canvas.toBlob(done, "image/png"));
      download(`${this.name}.png`, png, "image/png");
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  /** Every unit's numbers and every weight of the network shown, one row each. */
  table() {
    const { variant, trace } = this.shown;
    const d = variant.diagram;
    const feats = trace.config.features;
    const hidden = d.units.length;
    const columns = ["network", "kind", "layer", "unit", "from", "weight", "∂L/∂w", "bias", "∂L/∂b", "dead", "mean z", "mean φ(z)", "mean φ′(z)"];
    const rows = [];
    const last = d.weights.W.length - 1;
    const layerOf = (l) => (l === last ? "output" : l + 1); // (weights into layer l + 1)
    d.weights.W.forEach((Wl, l) => {
      const bias = d.weights.b[l];
      bias.forEach((b, u) => {
        const hiddenUnit = l < hidden;
        rows.push([variant.label, "unit", layerOf(l), u + 1, "", "", "", b, num(d.gradients.b[l][u]), hiddenUnit ? (d.dead[l][u] ? "yes" : "no") : "", hiddenUnit ? num(d.mean.z[l][u]) : "", hiddenUnit ? num(d.mean.h[l][u]) : "", hiddenUnit ? num(d.mean.df[l][u]) : ""]);
      });
      Wl.forEach((row, i) => row.forEach((w, j) => {
        const from = l === 0 ? feats[i] : `layer ${l} unit ${i + 1}`;
        rows.push([variant.label, "weight", layerOf(l), j + 1, from, w, num(d.gradients.W[l][i][j]), "", "", "", "", "", ""]);
      }));
    });
    return { columns, rows };
  }

  exportCSV() {
    if (this.shown) download(`${this.name}.csv`, toCSV(this.table()), "text/csv");
  }

  exportJSON() {
    if (!this.shown) return;
    const { variant, trace } = this.shown;
    const body = { network: variant.label, activation: variant.activation, task: trace.task, epochs: trace.epochs, features: trace.config.features, widths: trace.config.widths, diagram: variant.diagram };
    download(`${this.name}.json`, JSON.stringify(body, null, 1), "application/json");
  }
}
