// Own data in the network view (dataset "own"): points drawn by clicking the plane, uploaded
// as CSV (checked by the server: POST /api/points, errors naming the line and column) or
// imported from JSON; kept in the link (pts=, coordinates rounded) up to
// meta.own_points.link_max points, beyond that exported and imported as JSON.
// When the dataset is not own, a click on the boundary plot selects the nearest data point
// and the diagram shows that point's numbers.

import { errorFrom, isAbort } from "../lib/api.js";
import { el } from "../lib/controls.js";
import { CLASS_COLOURS, ownPointsFigure } from "../lib/figures.js";
import { download } from "../lib/panel.js";

const round2 = (v) => Math.round(v * 100) / 100;

async function postPoints(body, type, task) {
  const r = await fetch(`/api/points?task=${task}`, { method: "POST", headers: { "Content-Type": type }, body });
  const j = await r.json();
  if (!r.ok) throw errorFrom(r.status, j);
  return j;
}

export class OwnData {
  constructor(view) {
    this.view = view;
    this.big = null; // points beyond what a link holds (imported), else null: the link's pts
    this.brush = 1; // the class (or target) a click adds
    this.attached = new WeakSet();
    this.anchor = false;
  }

  get active() {
    return this.view.state.dataset === "own";
  }

  points() {
    return this.big || this.view.state.pts || [];
  }

  setPoints(list, note = "") {
    const cap = this.view.meta.own_points.link_max;
    this.big = list.length > cap ? list : null;
    this.view.set({ pts: list.length > cap ? [] : list }, true);
    this.refresh(note || (list.length > cap ? `${list.length.toLocaleString("en")} points: too many for a link (up to ${cap}) — Export JSON to keep or share them.` : ""));
  }

  /** The own-data tools (in the Data group), or nothing when the dataset is not own. */
  controls() {
    if (!this.active) return el("span", { hidden: true });
    const meta = this.view.meta.own_points;
    const task = this.view.state.ptask || "classify";
    const brush = task === "classify"
      ? el("select", { id: "own-brush", "aria-label": "Class a click adds" }, ...Array.from({ length: meta.max_classes }, (_, k) => el("option", { value: String(k), text: `class ${k}` })))
      : el("input", { type: "number", id: "own-brush", step: "0.1", value: "1", "aria-label": "Target value a click adds" });
    brush.value = String(this.brush);
    if (task === "classify") brush.style.borderLeft = `6px solid ${CLASS_COLOURS[this.brush] || "#888"}`;
    brush.addEventListener("change", () => {
      this.brush = Number(brush.value);
      if (task === "classify") brush.style.borderLeft = `6px solid ${CLASS_COLOURS[this.brush]}`;
    });
    const taskSel = el("select", { id: "own-task", "aria-label": "What the labels are" }, el("option", { value: "classify", text: "labels are classes" }), el("option", { value: "regress", text: "labels are targets (regression)" }));
    taskSel.value = task;
    taskSel.addEventListener("change", () => {
      this.brush = taskSel.value === "classify" ? 1 : 1;
      this.view.set({ ptask: taskSel.value }, true, { rebuild: true });
    });
    const csv = el("input", { type: "file", accept: ".csv,text/csv,text/plain", id: "own-csv", hidden: true });
    csv.addEventListener("change", () => this.upload(csv.files[0], "csv"));
    const json = el("input", { type: "file", accept: ".json,application/json", id: "own-json", hidden: true });
    json.addEventListener("change", () => this.upload(json.files[0], "json"));
    const button = (text, id, fn) => el("button", { type: "button", text, id, onclick: fn });
    this.count = el("output", { id: "own-count", "aria-live": "polite" });
    this.box = el(
      "div",
      { class: "own-data" },
      el("p", { class: "hint", text: "Click the plane (the boundary plot) to add a point of:" }),
      el("div", { class: "own-row" }, brush, taskSel),
      el(
        "div",
        { class: "own-actions" },
        button("Undo", "own-undo", () => this.setPoints(this.points().slice(0, -1))),
        button("Clear", "own-clear", () => this.setPoints([])),
        button("Upload CSV…", "own-upload", () => csv.click()),
        button("Import JSON…", "own-import", () => json.click()),
        button("Export JSON", "own-export", () => this.export()),
      ),
      csv,
      json,
      this.count,
    );
    this.refresh();
    return this.box;
  }

  refresh(note = "") {
    if (!this.count) return;
    this.box.querySelector("#own-keep")?.remove(); // (offered for the points of the upload just shown)
    const n = this.points().length;
    const min = this.view.meta.own_points.min;
    this.count.textContent = `${n} point${n === 1 ? "" : "s"}${n < min ? ` — at least ${min} to train` : ""}. ${note}`;
    const t = this.view.trace;
    if (this.active && (!t || t.config.dataset !== "own")) this.showPlane();
  }

  /** The plane with the points, before any training (where the first points are drawn); drawn
   * once per animation frame however often it is asked (a click asks twice: the state's change
   * and the count's). */
  showPlane() {
    if (this.planeQueued) return;
    this.planeQueued = true;
    requestAnimationFrame(() => {
      this.planeQueued = false;
      const t = this.view.trace;
      if (!this.active || (t && t.config.dataset === "own")) return; // a run's map came first
      const panel = this.view.panels.boundary;
      const task = (this.view.state.ptask || "classify") === "regress" ? "regression" : "classify";
      const figure = ownPointsFigure(this.points(), task, { ...this.view.meta.own_points, ...this.view.figureOptions() });
      panel.plot.style.height = figure.layout.height ? `${figure.layout.height}px` : ""; // a phone's layout sets its own height
      panel.plot.dataset.plane = "1"; // (the points of these settings: never shown as an earlier run's)
      // (the points alone: no replay scrubber of a run, e.g. one just Reset)
      this.attach(panel); // (before the draw: a tap while Plotly finishes is not lost)
      panel.render(figure, { json: { points: this.points() }, extra: false });
    });
  }

  /** Clicks on the boundary plot (its first subplot): add a point (own data) or select the
   * nearest data point. The click's plane coordinates come from the plot's own axes. */
  attach(panel) {
    const plot = panel.plot;
    if (this.attached.has(plot)) return;
    this.attached.add(plot);
    // One click per gesture. Plotly makes the click a mouse press and release give (the
    // browser's lands elsewhere); after a tap it makes one more at (0, 0), and the browser its
    // own: a tap added three points, one far off the plane. They come within a few ms, but on a
    // busy machine further apart than any fixed window: a gesture is counted from its pointerdown.
    let gesture = 0;
    plot.addEventListener("pointerdown", () => (gesture += 1), true);
    let last = null;
    plot.addEventListener("click", (ev) => {
      const drag = plot.querySelector(".nsewdrag");
      const full = plot._fullLayout;
      if (!drag || !full || !full.xaxis || !drag.contains(ev.target)) return;
      const rect = drag.getBoundingClientRect();
      if (ev.clientX < rect.left || ev.clientX > rect.right || ev.clientY < rect.top || ev.clientY > rect.bottom) return;
      const now = performance.now();
      if (last && last.gesture === gesture && now - last.t < 1000) return; // (a script's clicks, of no pointerdown: one a second)
      last = { t: now, gesture };
      const x = full.xaxis.p2d(ev.clientX - rect.left);
      const y = full.yaxis.p2d(ev.clientY - rect.top);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      this.clicked(x, y);
    });
  }

  clicked(x, y) {
    if (this.active) {
      if (this.points().length >= this.view.meta.own_points.max) return;
      this.anchor = true; // the run this point starts keeps the plane where it is on screen (network-view drawTrace)
      // a click in the plane's margin lands on its edge, ±max(plane, every |coordinate|) (a
      // wider square when points from a link or a file reach beyond ±plane): the plane does not
      // grow under the pointer
      const reach = Math.max(this.view.meta.own_points.plane, ...this.points().flatMap((q) => [Math.abs(q[0]), Math.abs(q[1])]));
      const clamp = (v) => Math.min(reach, Math.max(-reach, v));
      this.setPoints([...this.points(), [round2(clamp(x)), round2(clamp(y)), this.brush]]);
      return;
    }
    const t = this.view.trace;
    if (!t) return;
    let best = null;
    t.data.train.x.forEach((q, j) => {
      const d = (q[0] - x) ** 2 + (q[1] - y) ** 2;
      if (!best || d < best.d) best = { d, x: q, y: t.data.train.y[j] };
    });
    if (best) this.view.live.probe(best.x, best.y);
  }

  async upload(file, kind) {
    if (!file) return;
    try {
      const text = await file.text();
      const task = this.view.state.ptask || "classify";
      const got = await postPoints(text, kind === "csv" ? "text/csv" : "application/json", task);
      if (kind === "json" && got.task !== task) this.view.set({ ptask: got.task }, true, { rebuild: true });
      const before = this.points();
      const read = got.x.map((q, i) => [q[0], q[1], got.y[i]]);
      // labels taken as given: 1 and 2 are classes 1 and 2, so class 0 trains with no point (said)
      const have = new Set(got.y);
      const empty = got.task === "classify" ? Array.from({ length: Math.max(...got.y) + 1 }, (_, c) => c).filter((c) => !have.has(c)) : [];
      const gaps = empty.length ? ` (no point of class ${empty.join(", ")}: labels count from 0, and the network keeps an output for ${empty.length === 1 ? "it" : "each"})` : "";
      const n = `Read ${read.length.toLocaleString("en")} points from ${file.name}${gaps}`;
      this.setPoints(read, before.length ? `${n}: they replace the ${before.length.toLocaleString("en")} you had.` : `${n}.`);
      // the points drawn before are not lost silently: one click keeps them beside the file's
      if (before.length && got.task === task && before.length + read.length <= this.view.meta.own_points.max) this.offerToAdd(before, read, file.name);
    } catch (err) {
      if (isAbort(err)) return;
      // the server's message names the line and column itself ("csv: line 12, column 2: …")
      const message = err.field && err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
      const where = err.body && err.body.line && !message.includes(`line ${err.body.line}`) ? ` (line ${err.body.line}${err.body.column ? `, column ${err.body.column}` : ""})` : "";
      // real-valued targets read as class labels: say where the switch is
      const hint = err.code === "not_a_label" ? " For real-valued targets, choose “labels are targets (regression)”." : "";
      const said = `Could not read ${file.name}${where}: ${message.replace(/\.$/, "")}.${hint}`;
      this.view.setStatus(said, true);
      this.refresh(said); // beside the upload too (on a phone the status is ~1,700 px below it)
    }
  }

  /** A button under the count: the points replaced by an upload, added back to its points. */
  offerToAdd(before, read, name) {
    const add = el("button", { type: "button", id: "own-keep", text: `Keep the ${before.length.toLocaleString("en")} you had too` });
    add.addEventListener("click", () => {
      add.remove();
      this.setPoints([...before, ...read], `${(before.length + read.length).toLocaleString("en")} points: yours and ${name}'s.`);
    });
    this.count.after(add);
  }

  export() {
    const pts = this.points();
    const body = { x: pts.map((p) => [p[0], p[1]]), y: pts.map((p) => p[2]), task: this.view.state.ptask || "classify" };
    download("activation-lab-points.json", JSON.stringify(body), "application/json");
  }
}
