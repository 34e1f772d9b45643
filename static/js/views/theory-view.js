// Theory view: what mean-field theory predicts for random networks at initialisation — the
// phase diagram (click it to initialise the network there), the predicted gradient per layer,
// activation variance over depth for each initialisation, SELU's self-normalising flow, and
// the activation's kernel and Hermite coefficients, comparing the chosen activations.

import { isAbort, Latest } from "../lib/api.js";
import { activationCard, el, keepingFocus, slider } from "../lib/controls.js";
import { Panel } from "../lib/panel.js";
import { seriesStyle } from "../lib/theme.js";
import { chiText, fixedPointText, THEORY_PANELS, theoryPanel } from "../lib/theory.js";
import { formatNumber } from "../lib/url.js";
import { sanitiseSpecs } from "./function-view.js";
import { networkLedBy } from "../lib/spec.js";
import { curveLabel } from "../lib/runs.js";


export class TheoryView {
  /** onNetwork(patch, {train}): the network view's settings change (init custom at a point); train: switch to it. */
  constructor({ root, catalogue, meta, state, onState, onEmbed, onNetwork }) {
    this.root = root;
    this.catalogue = catalogue;
    this.meta = meta;
    this.onState = onState;
    this.onNetwork = onNetwork;
    this.max = meta.caps.theory;
    this.panels = {};
    this.latest = {};
    for (const node of root.querySelectorAll("[data-panel]")) {
      const name = node.dataset.panel;
      this.panels[name] = new Panel(node, { ...meta.panels[name], name, embed: true, onEmbed });
      this.latest[name] = new Latest();
    }
    this.summary = root.querySelector("#th-summary");
    this.status = root.querySelector("#th-status");
    this.narrow = window.matchMedia("(max-width: 760px)");
    this.narrow.addEventListener("change", () => this.draw());
    root.querySelector("#th-add").addEventListener("click", () => {
      const used = new Set(this.state.th.map((s) => s.name));
      const next = meta.explorer.function_next.find((n) => !used.has(n)) || "relu";
      this.set({ th: [...this.state.th, { name: next, params: {} }] }, true, { rebuild: true });
    });
    root.querySelector("#th-train").addEventListener("click", () => this.trainHere());
    root.querySelector("#th-controls").addEventListener("submit", (e) => e.preventDefault());
    this.apply(state);
  }

  /** Take a whole state (first load, back/forward) and rebuild the controls. */
  apply(state) {
    let th = sanitiseSpecs(state.th, this.catalogue, this.max);
    if (!th.length) th = [{ name: "relu", params: {} }];
    this.state = { ...state, th };
    this.buildControls();
    this.stale = true;
    if (this.visible) this.draw();
  }

  shown() {
    this.visible = true;
    if (this.stale) this.draw();
  }

  buildControls() {
    const s = this.state;
    const list = this.root.querySelector("#th-curves");
    list.replaceChildren(
      ...s.th.map((spec, i) =>
        activationCard(this.catalogue, spec, i, {
          onChange: (next, committed) => {
            const th = this.state.th.map((x, j) => (j === i ? next : x));
            this.set({ th }, committed, { rebuild: next.name !== this.state.th[i].name });
          },
          onRemove: s.th.length > 1 ? () => this.set({ th: this.state.th.filter((_, j) => j !== i) }, true, { rebuild: true }) : null,
        }),
      ),
    );
    const add = this.root.querySelector("#th-add");
    add.disabled = s.th.length >= this.max;
    add.title = add.disabled ? `Up to ${this.max} activations at once` : "";
    // the point: the network's custom initialisation (sigma_w2, sigma_b2), as the network form declares it
    const point = this.root.querySelector("#th-point");
    point.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
    this.pointSliders = {};
    for (const key of ["sigma_w2", "sigma_b2"]) {
      const info = this.meta.requests.train[key];
      const f = this.meta.form.find((x) => x.key === key);
      const sl = slider({
        label: f.label, name: `th-${key}`, min: info.min, max: info.max, step: f.step, value: s[key], default: info.default, help: key === "sigma_w2" ? "Or click the phase diagram." : "",
        onInput: (v) => this.setPoint({ [key]: v }, false),
        onCommit: (v) => this.setPoint({ [key]: v }, true),
      });
      this.pointSliders[key] = sl;
      point.append(sl);
    }
    this.pointText = el("p", { class: "point-text", "aria-live": "polite" });
    point.append(this.pointText);
    this.showPoint();
    const depth = this.root.querySelector("#th-depth");
    depth.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
    for (const c of this.meta.theory.controls) {
      const info = this.meta.state[c.key];
      const isInt = info.type === "int";
      depth.append(
        slider({
          label: c.label, name: c.key, min: info.min, max: info.max, step: c.step || 0.01, log: c.log, value: s[c.key], default: info.default, help: c.help,
          onInput: (v) => {
            this.state[c.key] = isInt ? Math.round(v) : v;
            this.onState({ [c.key]: this.state[c.key] }, false);
          },
          onCommit: (v) => this.set({ [c.key]: isInt ? Math.round(v) : v }, true),
        }),
      );
    }
  }

  showPoint() {
    const s = this.state;
    const init = s.init === "custom" ? "the network starts here (init custom)" : `the network's init is ${(this.meta.labels.init || {})[s.init] || s.init}: click the diagram or press Train to use this point`;
    this.pointText.textContent = `σ_w² = ${formatNumber(s.sigma_w2)}, σ_b² = ${formatNumber(s.sigma_b2)} — ${init}.`;
    this.root.dataset.init = s.init;
  }

  set(patch, committed, { rebuild = false } = {}) {
    Object.assign(this.state, patch);
    this.onState(patch, committed);
    if (rebuild) keepingFocus(this.root.querySelector("#th-controls"), () => this.buildControls());
    else this.root.querySelector("#th-add").disabled = this.state.th.length >= this.max;
    if (committed) this.draw();
  }

  /** A new point in the (σ_w², σ_b²) plane: it becomes the network's custom initialisation. */
  setPoint(patch, committed) {
    const rounded = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, Number(v.toFixed(2))]));
    Object.assign(this.state, rounded, { init: "custom" });
    for (const [k, v] of Object.entries(rounded)) if (this.pointSliders[k]) this.pointSliders[k].set(v);
    this.onNetwork({ ...rounded, init: "custom" }, { committed });
    this.showPoint();
    if (committed) this.draw();
  }

  /** The network view with this activation, initialised at this point. */
  trainHere() {
    const s = this.state;
    const first = s.th[0];
    const act = networkLedBy(s, first, this.catalogue, this.meta.caps.compare);
    Object.assign(this.state, { init: "custom", act, view: "network" });
    this.onNetwork({ init: "custom", sigma_w2: s.sigma_w2, sigma_b2: s.sigma_b2, act }, { committed: true, train: true });
  }

  label(spec) {
    return curveLabel(spec, this.catalogue, this.state.th);
  }

  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
  }

  /** Every panel, each as soon as its numbers arrive (the slow ones — the phase diagram's critical line — last). */
  draw() {
    if (!this.visible) {
      this.stale = true;
      return;
    }
    this.stale = false;
    this.pending = THEORY_PANELS.length;
    this.setStatus("Computing…");
    for (const name of THEORY_PANELS) this.drawPanel(name);
  }

  async drawPanel(name) {
    const panel = this.panels[name];
    const signal = this.latest[name].next();
    // until the answer is drawn, what the panel shows is of earlier settings (an answer at hand
    // is drawn before the page is painted again: no flicker); the cards are the gradients' runs
    panel.markStale(name === "phase" ? `Computing the phase diagram for ${this.label(this.state.th[0])}…` : "Computing this plot for the new settings…");
    if (name === "gradient-prediction") this.summary.dataset.stale = panel.root.dataset.stale;
    try {
      const out = await theoryPanel(name, { state: this.state, meta: this.meta, catalogue: this.catalogue, signal, narrow: this.narrow.matches, width: panel.plot.clientWidth || undefined, label: (s) => this.label(s) });
      if (signal.aborted) return;
      panel.plot.style.height = out.figure.layout.height ? `${out.figure.layout.height}px` : "";
      await panel.render(out.figure, { table: out.table, json: out.json, note: out.note });
      if (name === "phase") this.listenForClicks(panel);
      if (name === "gradient-prediction") this.drawSummary(out.runs);
    } catch (err) {
      if (isAbort(err)) return;
      panel.showEmpty(`Could not compute this: ${err.message}`);
      this.setStatus(`${meta_title(this.meta, name)}: ${err.message}`, true);
    } finally {
      if (!signal.aborted) {
        this.pending -= 1;
        if (this.pending <= 0 && !this.status.classList.contains("error")) this.setStatus("");
        if (this.pending <= 0) this.root.dispatchEvent(new CustomEvent("theory:drawn", { bubbles: true }));
      }
    }
  }

  listenForClicks(panel) {
    if (panel.plot.dataset.clicks) return;
    panel.plot.dataset.clicks = "1";
    panel.plot.on("plotly_click", (ev) => {
      const p = ev.points && ev.points[0];
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return;
      this.setPoint({ sigma_w2: p.x, sigma_b2: p.y }, true);
    });
  }

  drawSummary(runs) {
    this.summary.dataset.stale = "0";
    this.summary.replaceChildren(
      ...runs.map(({ label, data: p }, i) => {
        const box = el(
          "div",
          { class: "stat", "data-variant": i },
          el("div", { class: "label", text: `${label} at (${formatNumber(p.sigma_w2)}, ${formatNumber(p.sigma_b2)})` }),
          // (where q grows without bound, χ₁ is its large-q limit)
          el("div", { class: "value", text: `${p.phase}, χ₁ = ${chiText(p.chi1, p.phase)}${p.chi1_at === "large_q" ? " (as q grows)" : ""}` }),
          el("div", { class: "label", text: fixedPointText(p) }),
        );
        box.style.setProperty("--swatch", seriesStyle(i).color);
        return box;
      }),
    );
  }

  restyle() {
    this.draw();
  }
}

const meta_title = (meta, name) => (meta.panels[name] || {}).title || name;
