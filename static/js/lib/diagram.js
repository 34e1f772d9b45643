// The network diagram: inputs, hidden units and outputs as nodes, each a small heatmap of
// its own output over the input plane; edges coloured by the weight's sign and as thick as
// its size; dead units marked. Focusing or hovering a unit or an edge shows its numbers as
// the API computed them (the response's "diagram": z = w·a + b, φ(z), φ′(z) and the
// back-propagated gradient, averaged over the data or at a selected point). Keyboard: one
// tab stop; arrow keys move between units, [ and ] step through the focused unit's incoming
// edges; a unit focused any other way (a click, a screen reader) is where the keys go on from.
// One unit is outlined: the hovered one, else the focused one. A table below is the text
// alternative.

import { el } from "./controls.js";
import { CLASS_COLOURS, touchScreen } from "./figures.js";

const POS = [213, 94, 0]; // #D55E00 (weights < 0: Playground's orange)
const NEG = [0, 114, 178]; // #0072B2 (weights > 0: blue)
export const MAX_EDGES = 3000; // beyond this, only the largest weights are drawn
export const EDGE = { positive: "#0072B2", negative: "#D55E00" }; // an edge's colour by its weight's sign

export const fmt = (x) => (x === null || x === undefined ? "—" : Number(x).toPrecision(4));

/** Colour of value v in [-m, m]: blue (positive) through the page's background (0) to orange (negative). */
function shade(v, m, bg) {
  const t = Math.max(-1, Math.min(1, m > 0 ? v / m : 0));
  const c = t >= 0 ? NEG : POS;
  const a = Math.abs(t);
  return [bg[0] + (c[0] - bg[0]) * a, bg[1] + (c[1] - bg[1]) * a, bg[2] + (c[2] - bg[2]) * a];
}

/** The theme's surface colour as [r, g, b] (white if it is not written #rrggbb). */
function surface() {
  const v = getComputedStyle(document.documentElement).getPropertyValue("--surface").trim();
  return /^#[0-9a-f]{6}$/i.test(v) ? hexRgb(v) : [255, 255, 255];
}

function paint(canvas, grid, classes = null) {
  const g = grid.length;
  canvas.width = g;
  canvas.height = g;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(g, g);
  const flat = grid.flat();
  const m = Math.max(1e-12, ...flat.map((v) => Math.abs(v)));
  const bg = surface();
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      const v = grid[r][c];
      let rgb;
      if (classes) rgb = hexRgb(CLASS_COLOURS[v]);
      else rgb = shade(v, m, bg);
      const o = ((g - 1 - r) * g + c) * 4; // higher y on top
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

const hexRgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

/** The output heatmap as one grid: P(class 1) − ½, the most likely class, or the prediction. */
function outputGrid(task, out) {
  if (task === "multiclass") {
    const C = out.length;
    return { grid: out[0].map((row, r) => row.map((_, c) => out.reduce((best, q, k) => (q[r][c] > out[best][r][c] ? k : best), 0))), classes: C };
  }
  if (task === "binary") return { grid: out.map((row) => row.map((p) => p - 0.5)), classes: null };
  return { grid: out, classes: null };
}

export class Diagram {
  /** root: the container; labels: meta.labels.features; onSelect(null) clears the selected point. */
  constructor(root, { labels }) {
    this.root = root;
    this.labels = labels;
    this.view = el("div", { class: "diagram", role: "group", "aria-label": "Network diagram: arrow keys move between units, [ and ] through a unit's incoming weights" });
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.svg.setAttribute("class", "edges");
    this.svg.setAttribute("aria-hidden", "true");
    this.nodes = el("div", { class: "nodes" });
    this.view.append(this.svg, this.nodes);
    this.info = el("div", { class: "diagram-info", "aria-live": "polite", id: "diagram-info" });
    this.summary = el("p", { class: "note" });
    this.table = el("details", { class: "diagram-table" }, el("summary", {}, "The network as a table", el("span", { text: " (every unit's numbers)" })));
    // (a screen with no hover: a tap focuses the unit; the group's label names the keys)
    this.info.textContent = touchScreen() ? "Tap a unit to see its numbers." : "Hover or focus a unit (Tab to the diagram, then the arrow keys) to see its numbers.";
    // the numbers and the summary: under the diagram, or beside it in a short embed (app.css)
    this.aside = el("div", { class: "diagram-aside" }, this.info, this.summary);
    root.replaceChildren(this.view, this.aside, this.table);
    this.focus = { col: 1, row: 0 };
    this.edgeIndex = -1;
    this.marked = null; // {col, row} of the outlined unit
    this.view.addEventListener("keydown", (e) => this.key(e));
    // focus leaving the diagram takes its outline along (a hovered unit keeps its own)
    this.view.addEventListener("focusout", (e) => {
      if (!this.view.contains(e.relatedTarget) && !this.nodes.querySelector(".node:hover")) this.mark(null);
    });
  }

  /** Draw variant ``d`` (a response variant's "diagram") of a run with ``config`` and ``task``;
   * ``height``, when given, the most pixels the drawing may take (an embed's frame). */
  draw(d, { task, config, n_train: nTrain, label, height }) {
    this.d = d;
    this.task = task;
    this.nTrain = nTrain;
    const widths = d.units.map((u) => u.length);
    const inputs = config.features;
    this.columnsFeatures = inputs;
    const nOut = task === "multiclass" ? d.output.length : 1;
    this.columns = [inputs.length, ...widths, nOut];
    const W = this.view.clientWidth || this.root.clientWidth || 600;
    const maxCount = Math.max(...this.columns);
    const room = height ? height - 20 : 420;
    // (and room between the columns for the edges in a narrow view); a large embed frame gets
    // units up to 72 px (it left 36 px units in the top half of a 1200 × 800 frame)
    const most = height ? 72 : 36;
    const size = Math.max(8, Math.min(most, Math.floor(room / (maxCount * 1.25)), Math.floor((W - 40) / (this.columns.length * 1.6))));
    const H = Math.max(height ? Math.min(160, height) : 160, maxCount * size * 1.25 + 20);
    this.view.style.height = `${H}px`;
    this.svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    this.svg.setAttribute("width", String(W));
    this.svg.setAttribute("height", String(H));
    const xs = this.columns.map((_, i) => 20 + size / 2 + ((W - 40 - size) * i) / (this.columns.length - 1));
    const ys = this.columns.map((count) => Array.from({ length: count }, (_, j) => H / 2 + (j - (count - 1) / 2) * size * 1.25));
    this.pos = { xs, ys, size };
    // edges
    const lines = [];
    d.weights.W.forEach((Wl, l) => {
      const m = Math.max(1e-12, ...Wl.flat().map(Math.abs));
      Wl.forEach((row, i) => row.forEach((w, j) => lines.push({ l, i, j, w, t: Math.abs(w) / m })));
    });
    const drawn = lines.length > MAX_EDGES ? [...lines].sort((a, b) => b.t - a.t).slice(0, MAX_EDGES) : lines;
    this.svg.replaceChildren(
      ...drawn.map((e) => {
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", String(xs[e.l] + size / 2));
        line.setAttribute("y1", String(ys[e.l][e.i]));
        line.setAttribute("x2", String(xs[e.l + 1] - size / 2));
        line.setAttribute("y2", String(ys[e.l + 1][e.j]));
        line.setAttribute("stroke", e.w >= 0 ? EDGE.positive : EDGE.negative);
        line.setAttribute("stroke-width", String(0.4 + 3.6 * e.t));
        line.setAttribute("stroke-opacity", String(0.25 + 0.6 * e.t));
        line.dataset.edge = `${e.l}:${e.i}:${e.j}`;
        line.addEventListener("mouseenter", () => this.showEdge(e.l, e.i, e.j));
        return line;
      }),
    );
    this.svg.style.pointerEvents = "none";
    for (const line of this.svg.children) line.style.pointerEvents = "stroke";
    // nodes: the same columns keep their buttons (a run's frames, Play), so a focused unit keeps
    // the focus and a screen reader is not sent back to it on every frame
    const same = this.drawn === this.columns.join();
    const buttons = [];
    this.columns.forEach((count, col) => {
      for (let row = 0; row < count; row++) {
        let b = same ? this.button(col, row) : null;
        if (!b) {
          b = el("button", { type: "button", class: "node", tabindex: "-1", "data-col": col, "data-row": row }, el("canvas", { class: "heat" }), el("span", { class: "dead-mark", text: "✕", "aria-hidden": "true" }));
          b.addEventListener("focus", () => this.cursor(col, row));
          b.addEventListener("mouseenter", () => {
            this.showNode(col, row);
            this.mark({ col, row });
          });
          b.addEventListener("mouseleave", () => this.leave());
          b.addEventListener("click", () => b.focus());
        }
        const dead = col > 0 && col <= widths.length && d.dead[col - 1][row];
        b.classList.toggle("dead", Boolean(dead));
        b.setAttribute("aria-label", this.nodeName(col, row) + (dead ? " (dead)" : ""));
        b.style.left = `${xs[col] - size / 2}px`;
        b.style.top = `${ys[col][row] - size / 2}px`;
        b.style.width = b.style.height = `${size}px`;
        const canvas = b.firstChild;
        if (col === 0) paint(canvas, d.inputs[row]);
        else if (col <= widths.length) paint(canvas, d.units[col - 1][row]);
        else if (task === "multiclass") paint(canvas, d.output[row].map((r) => r.map((p) => p - 0.5)));
        else paint(canvas, outputGrid(task, d.output).grid);
        buttons.push(b);
      }
    });
    if (!same) this.nodes.replaceChildren(...buttons);
    this.drawn = this.columns.join();
    this.focus.col = Math.min(this.focus.col, this.columns.length - 1);
    this.focus.row = Math.min(this.focus.row, this.columns[this.focus.col] - 1);
    this.button(this.focus.col, this.focus.row).tabIndex = 0;
    this.mark(this.marked && this.button(this.marked.col, this.marked.row) ? this.marked : null);
    this.describe(d, { task, config, label });
    this.buildTable(widths);
    if (this.current) this.refresh();
  }

  /** The summary under the diagram (an embed's caption) of variant ``d``. */
  describe(d, { task, config, label }) {
    const inputs = config.features;
    const widths = d.units.map((u) => u.length);
    const weights = d.weights.W.reduce((n, Wl) => n + Wl.length * Wl[0].length, 0);
    const edgeNote = weights > MAX_EDGES ? ` Showing the ${MAX_EDGES.toLocaleString("en")} largest of ${weights.toLocaleString("en")} weights.` : "";
    const dead = d.dead.flat().filter(Boolean).length;
    const diverged = d.diverged_at_epoch !== null && d.diverged_at_epoch !== undefined;
    const deadText = diverged ? `diverged at epoch ${d.diverged_at_epoch}: its numbers are no longer finite, so no unit is marked dead` : `${dead} dead unit${dead === 1 ? "" : "s"} (✕)`;
    this.summary.textContent = `${label}: ${inputs.length} inputs (${inputs.map((f) => this.labels[f] || f).join(", ")}), hidden layers of ${widths.join(", ")} units, ${task === "multiclass" ? `${d.output.length} classes (softmax)` : "1 output"}; ${deadText}. Blue edges: positive weights, orange: negative; thicker is larger.${edgeNote}`;
  }

  nodeName(col, row) {
    const feats = this.columnsFeatures || [];
    if (col === 0) return `input ${this.labels[feats[row]] || feats[row] || row + 1}`;
    if (col === this.columns.length - 1) return this.task === "multiclass" ? `output: class ${row}` : "output";
    return `layer ${col}, unit ${row + 1}`;
  }

  button(col, row) {
    return this.nodes.querySelector(`[data-col="${col}"][data-row="${row}"]`);
  }

  /** Outline unit ``at`` ({col, row}) alone, or none (null). */
  mark(at) {
    for (const b of this.nodes.querySelectorAll(".node.current")) b.classList.remove("current");
    this.marked = at;
    if (at) this.button(at.col, at.row)?.classList.add("current");
  }

  /** The keyboard's place is unit (col, row), however it got focus: its tab stop, outlined,
   * its numbers shown; [ and ] start again from its first weight when the unit changes. */
  cursor(col, row) {
    if (col !== this.focus.col || row !== this.focus.row) {
      const old = this.button(this.focus.col, this.focus.row);
      if (old) old.tabIndex = -1;
      this.focus = { col, row };
      this.edgeIndex = -1;
    }
    this.button(col, row).tabIndex = 0;
    this.mark({ col, row });
    this.showNode(col, row);
  }

  /** The pointer left a unit: with the focus in the diagram, back to the keyboard's unit. */
  leave() {
    if (!this.view.contains(document.activeElement)) return this.mark(null);
    const { col, row } = this.focus;
    this.mark({ col, row });
    if (this.edgeIndex >= 0) this.showEdge(col - 1, this.edgeIndex, row);
    else this.showNode(col, row);
  }

  key(e) {
    let { col, row } = this.focus;
    if (e.key === "ArrowDown") row += 1;
    else if (e.key === "ArrowUp") row -= 1;
    else if (e.key === "ArrowRight") col += 1;
    else if (e.key === "ArrowLeft") col -= 1;
    else if (e.key === "[" || e.key === "]") {
      if (col === 0) return;
      const n = this.columns[col - 1];
      // (from none yet: ] the first weight, [ the last)
      this.edgeIndex = this.edgeIndex < 0 ? (e.key === "]" ? 0 : n - 1) : (this.edgeIndex + (e.key === "]" ? 1 : n - 1)) % n;
      this.mark({ col, row });
      this.showEdge(col - 1, this.edgeIndex, row);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    col = Math.max(0, Math.min(this.columns.length - 1, col));
    row = Math.max(0, Math.min(this.columns[col] - 1, row));
    this.edgeIndex = -1;
    const b = this.button(col, row);
    if (b === document.activeElement) this.cursor(col, row); // (at the column's end: the unit again)
    else b.focus(); // (its focus handler moves the cursor)
  }

  refresh() {
    const c = this.current;
    if (c.kind === "node") this.showNode(c.col, c.row);
    else this.showEdge(c.l, c.i, c.j);
  }

  /** The numbers of one unit (or input / output) in the info box. */
  showNode(col, row) {
    const d = this.d;
    this.current = { kind: "node", col, row };
    for (const line of this.svg.querySelectorAll(".hl")) line.classList.remove("hl");
    const feats = this.featureNames();
    const items = [];
    let title;
    if (col === 0) {
      title = `Input ${this.labels[feats[row]] || feats[row]}`;
      items.push(["what", "the value every unit of layer 1 receives from this input"]);
    } else if (col === this.columns.length - 1) {
      const multi = this.task === "multiclass";
      title = multi ? `Output: class ${row}` : "Output";
      const b = d.weights.b[d.weights.b.length - 1];
      items.push(["what", multi ? `P(class ${row}) over the plane (softmax of the outputs)` : this.task === "binary" ? "P(class 1) over the plane" : "the prediction over the plane"]);
      items.push(["bias b", fmt(b[multi ? row : 0])]);
    } else {
      const l = col - 1;
      title = `Layer ${col}, unit ${row + 1}${d.dead[l][row] ? " — dead: no gradient reaches its weights" : ""}`;
      const m = d.mean;
      items.push(["z = w·a + b (mean)", fmt(m.z[l][row])], ["φ(z) (mean)", fmt(m.h[l][row])], ["φ′(z) (mean)", fmt(m.df[l][row])], ["∂L/∂z summed over the data (= ∂L/∂b)", fmt(m.grad[l][row])]);
      items.push(["bias b", fmt(d.weights.b[l][row])]);
      if (d.probe) {
        const p = d.probe;
        items.push(
          [`at (${fmt(p.x[0])}, ${fmt(p.x[1])}): z`, fmt(p.z[l][row])],
          ["φ(z)", fmt(p.h[l][row])],
          ["φ′(z)", fmt(p.df[l][row])],
          ["∂ℓ/∂z (this point's loss)", fmt(p.grad[l][row])],
        );
      }
    }
    this.render(title, items, col > 0 && col < this.columns.length - 1 ? `Averaged over the ${this.nTrain} training points${d.probe ? ", and at the selected point" : " (click a point of the boundary plot to see one)"}.` : "");
  }

  featureNames() {
    return this.columnsFeatures || [];
  }

  showEdge(l, i, j) {
    const d = this.d;
    this.current = { kind: "edge", l, i, j };
    for (const line of this.svg.querySelectorAll(".hl")) line.classList.remove("hl");
    const line = this.svg.querySelector(`[data-edge="${l}:${i}:${j}"]`);
    if (line) line.classList.add("hl");
    const from = l === 0 ? `input ${this.labels[this.featureNames()[i]] || i + 1}` : `layer ${l}, unit ${i + 1}`;
    const to = l === d.weights.W.length - 1 ? `output${d.weights.W[l][0].length > 1 ? ` ${j}` : ""}` : `layer ${l + 1}, unit ${j + 1}`;
    this.render(`Weight from ${from} to ${to}`, [["w", fmt(d.weights.W[l][i][j])], ["∂L/∂w", fmt(d.gradients.W[l][i][j])]], "");
  }

  render(title, items, note) {
    const dl = el("dl", {});
    for (const [k, v] of items) dl.append(el("dt", { text: k }), el("dd", { text: v }));
    this.info.replaceChildren(el("strong", { text: title }), dl, el("small", { text: note }));
  }

  buildTable(widths) {
    const d = this.d;
    const head = ["layer", "unit", "dead", "mean z", "mean φ(z)", "mean φ′(z)", "∂L/∂b", "bias"];
    const rows = [];
    widths.forEach((w, l) => {
      for (let u = 0; u < w; u++) rows.push([l + 1, u + 1, d.dead[l][u] ? "yes" : "no", fmt(d.mean.z[l][u]), fmt(d.mean.h[l][u]), fmt(d.mean.df[l][u]), fmt(d.mean.grad[l][u]), fmt(d.weights.b[l][u])]);
    });
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h, scope: "col" })))), el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", { text: String(c) }))))));
    this.table.replaceChildren(this.table.querySelector("summary"), table);
  }
}
