// Live training in the network view: Play / Pause / Step / Reset, with the server stateless.
// The page holds the run's state (weights, optimiser moments, random stream: the opaque
// "state" of the last response) and posts it back: Step trains one more epoch, Play streams
// chunks of meta.explorer.live.chunk_epochs epochs one after the other (SSE: progress, then
// the chunk's result), Reset draws the untrained network at epoch 0 and holds its state. Each
// chunk's frames are appended to the plots' history; the diagram is redrawn first, the other
// plots just after.

import { isAbort, Latest, postJSON, postStream } from "../lib/api.js";
import { labelRuns } from "../lib/runs.js";

/** ``prev`` followed by ``next`` (a continuation's response), at most ``cap`` frames kept
 * (the first and the latest). */
export function mergeTrace(prev, next, cap = 400) {
  if (!prev || prev.variants.length !== next.variants.length || !next.frames.length) return next;
  const skip = prev.frames.length && next.frames[0] === prev.frames[prev.frames.length - 1] ? 1 : 0;
  const cat = (a, b) => (a && b ? a.concat(b.slice(skip)) : b);
  const total = prev.frames.length + next.frames.length - skip;
  const keep = total > cap ? [0, ...Array.from({ length: cap - 1 }, (_, i) => total - cap + 1 + i)] : null;
  const thin = (a) => (a && keep ? keep.map((i) => a[i]) : a);
  const pair = (a, b) => (a && b ? { train: thin(cat(a.train, b.train)), test: thin(cat(a.test, b.test)) } : b);
  const out = { ...next, frames: thin(cat(prev.frames, next.frames)), epoch_start: prev.epoch_start };
  out.variants = next.variants.map((v, k) => {
    const p = prev.variants[k];
    const layers = {};
    for (const key of Object.keys(v.layers)) layers[key] = v.layers[key] && p.layers[key] ? thin(cat(p.layers[key], v.layers[key])) : v.layers[key];
    let boundary = v.boundary;
    if (v.boundary && p.boundary) {
      const s = p.boundary.frames[p.boundary.frames.length - 1] === v.boundary.frames[0] ? 1 : 0;
      const frames = p.boundary.frames.concat(v.boundary.frames.slice(s));
      const ps = p.boundary.p.concat(v.boundary.p.slice(s));
      const n = Math.min(frames.length, 40); // boundary frames kept for the scrubber
      boundary = { ...v.boundary, frames: frames.slice(-n), p: ps.slice(-n) };
    }
    return {
      ...v,
      loss: pair(p.loss, v.loss),
      accuracy: pair(p.accuracy, v.accuracy),
      r2: pair(p.r2, v.r2),
      layers,
      boundary,
      histograms: { init: p.histograms.init || v.histograms.init, final: v.histograms.final },
    };
  });
  return out;
}

export class LiveTraining {
  constructor(view) {
    this.view = view;
    this.state = null; // the last response's state: where Step and Play continue
    this.playing = false;
    this.latest = new Latest();
    const root = view.root;
    this.buttons = { play: root.querySelector("#play"), pause: root.querySelector("#pause"), step: root.querySelector("#step"), reset: root.querySelector("#reset") };
    this.bar = root.querySelector("#step-bar");
    this.buttons.play.addEventListener("click", () => this.play());
    this.buttons.pause.addEventListener("click", () => this.pause(true));
    this.buttons.step.addEventListener("click", () => this.step());
    this.buttons.reset.addEventListener("click", () => this.reset());
    this.update();
  }

  /** A full run (Train) ended: Play and Step continue from it (null: from the start, as the
   * settings changed while it ran). */
  took(result) {
    this.hold(result && result.state);
    this.update();
  }

  /** The state to continue from, made for the page's settings as they are now. */
  hold(state) {
    this.state = state || null;
    this.madeFor = this.state ? this.settingsFor() : null;
    this.changes = []; // what changed while Play went on, said with each epoch
  }

  /** The settings a state is made for: the request without what a continuation may change. */
  settingsFor() {
    const body = this.view.requestBody();
    for (const key of this.view.meta.explorer.live.continuable) delete body[key];
    return JSON.stringify(body);
  }

  /** A setting changed. While Play goes on, a change that a continuation may take (the learning
   * rate, momentum, L1/L2, batch size) goes on with it from the next chunk, and ``said`` (e.g.
   * "Learning rate 0.3 from epoch 53") joins the status: returns true. Otherwise the held state
   * belongs to other settings: Play stops and the state is dropped. */
  settingsChanged(said = "") {
    if (this.playing && this.state && this.madeFor === this.settingsFor()) {
      if (said) this.changes = [...this.changes, { said, from: null }].slice(-3); // (from: the next chunk's first epoch)
      return true;
    }
    if (this.playing) this.pause(false);
    this.hold(null);
    this.update();
    return false;
  }

  update() {
    const b = this.buttons;
    b.play.hidden = this.playing;
    b.pause.hidden = !this.playing;
    b.step.disabled = this.playing;
    // not in sweep mode, nor while a Train run is under way (they continue from its end)
    this.bar.hidden = (!!this.view.state && this.view.state.mode === "sweep") || this.view.root.dataset.training === "1";
    this.view.root.dataset.playing = this.playing ? "1" : "0";
  }

  body(epochs) {
    const live = this.view.meta.explorer.live;
    const body = { ...this.view.requestBody(), frames: live.frames, boundary_frames: live.boundary_frames, boundary_grid: live.boundary_grid, unit_grid: live.unit_grid, epochs, include_state: true };
    if (this.state) body.state = this.state;
    for (const c of this.changes) if (c.from === null) c.from = this.view.trace ? this.view.trace.epochs : 0; // (a change is posted from here on)
    return body;
  }

  /** Take a chunk's (or a Step's) response: append it to what the plots show, redraw. */
  apply(result) {
    const view = this.view;
    const continuing = this.state !== null && view.trace;
    labelRuns(result.variants, view.catalogue);
    view.trace = continuing ? mergeTrace(view.trace, result, view.meta.explorer.live.history) : result;
    const changes = continuing ? this.changes : [];
    this.hold(result.state);
    this.changes = changes;
    view.showsResult("trace"); // (a change of settings drops the chunk in flight: this is of the current ones)
    const b = view.trace.variants[0].boundary;
    view.frame = b ? b.frames.length - 1 : 0;
    view.drawTrace({ diagramOnly: true });
    cancelAnimationFrame(this.redraw);
    this.redraw = requestAnimationFrame(() => view.drawTrace({ diagram: false }));
    const losses = result.variants.map((v) => v.loss.train[v.loss.train.length - 1]);
    const changed = this.changes.filter((c) => c.from !== null).map((c) => ` · ${c.said} from epoch ${c.from}`).join("");
    view.setStatus(`Epoch ${result.epochs} — training loss ${losses.map((l) => (l === null ? "diverged" : Number(l).toPrecision(3))).join(" / ")}${result.cut_short ? " (cut short by the time limit)" : ""}${changed}`);
    view.root.dataset.epoch = String(result.epochs);
  }

  async step() {
    if (this.playing) return;
    const signal = this.latest.next();
    try {
      const result = await postJSON("/api/train", this.body(1), { signal });
      if (!signal.aborted) this.apply(result);
    } catch (err) {
      if (!isAbort(err)) this.view.showError(err, "Could not step");
    }
  }

  async play() {
    if (this.playing) return;
    this.playing = true;
    this.update();
    const chunk = this.view.meta.explorer.live.chunk_epochs;
    try {
      while (this.playing) {
        const signal = this.latest.next();
        let result = null;
        await postStream(
          "/api/train/stream",
          this.body(chunk),
          (name, data) => {
            if (name === "result") result = data;
            else if (name === "progress" && !signal.aborted) this.view.progress.value = 1;
          },
          { signal },
        );
        if (signal.aborted || !result) break;
        this.apply(result);
        if (result.variants.every((v) => v.diverged_at_epoch !== null)) break; // nothing left to train
      }
    } catch (err) {
      if (!isAbort(err)) this.view.showError(err, "Could not play");
    } finally {
      this.playing = false;
      this.update();
    }
  }

  pause(say) {
    this.playing = false;
    this.latest.abort(); // the chunk in flight is dropped: the state stays at the last one shown
    this.update();
    if (say && this.view.trace) this.view.setStatus(`Paused at epoch ${this.view.trace.epochs}. Step or Play to go on; Reset to start again.`);
  }

  /** Start again: draw the untrained network at epoch 0 (the seed's initial weights, POST
   * /api/train/probe without a state), whose state Step and Play then continue from. */
  async reset() {
    this.pause(false);
    this.hold(null); // (a Step before the answer starts from the same weights)
    const view = this.view;
    view.setStatus("Reset: drawing the untrained network…");
    const signal = this.latest.next();
    try {
      const result = await postJSON("/api/train/probe", this.body(1), { signal }); // (the probe trains no epoch)
      if (signal.aborted) return;
      this.apply(result);
      view.setStatus(`Reset: the untrained network at epoch 0, from fresh initial weights (seed ${result.config.seed}). Step or Play trains it.`);
    } catch (err) {
      if (isAbort(err)) return;
      view.trace = null;
      view.clearPlots();
      view.showError(err, "Could not reset");
    }
  }

  /** The diagram's numbers at one point (nearest data point to a click on the boundary plot). */
  async probe(x, y) {
    if (!this.state) return;
    const body = { ...this.view.requestBody(), unit_grid: this.view.meta.explorer.live.unit_grid, state: this.state, probe: { x, y } };
    try {
      const result = await postJSON("/api/train/probe", body, { signal: this.latest.next() });
      const t = this.view.trace;
      if (!t) return;
      t.variants.forEach((v, k) => (v.diagram = result.variants[k].diagram));
      this.view.drawDiagram();
    } catch (err) {
      if (!isAbort(err)) this.view.showError(err, "Could not show the point");
    }
  }
}
