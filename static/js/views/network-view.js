// Network view: train a tiny MLP (or compare activations, or sweep a parameter) and watch
// loss, gradient flow, sparsity, dead units and the decision boundary.

import { ApiError, getJSON, isAbort, Latest, postJSON, postStream, retryWhenBusy } from "../lib/api.js";
import { activationCard, el, keepingFocus, select, slider } from "../lib/controls.js";
import { DiagramPanel } from "../lib/diagram-panel.js";
import { deadUnits, metricOf } from "../lib/figures.js";
import { formulaUrl, isFormula, sweepableParams, sweepDefaults, sweepRange } from "../lib/formula.js";
import { Panel } from "../lib/panel.js";
import { panelSpec } from "../lib/panels.js";
import { LiveTraining } from "./live-training.js";
import { OwnData } from "./own-data.js";
import { seriesStyle } from "../lib/theme.js";
import { formatNumber } from "../lib/url.js";
import { sanitiseSpecs } from "./function-view.js";
import { budgetText, curveLabel, labelRuns, requestBody, shown } from "../lib/runs.js";
import * as tables from "../lib/tables.js";
import { overlayPrediction } from "../lib/theory-overlay.js";
import { divergedCaption, epochsText, explaining, goneAt } from "../lib/diverged.js";

/** What to try instead, from why the values stopped being finite: an activation undefined on
 * part of the line (√x for x < 0) is no matter of learning rate; one that overflows (eˣ) is not
 * at epoch 0 either. `finite`: GET /api/formula's report for a typed formula (null for a built-in). */
function divergedAdvice(epoch, finite) {
  if (finite && !finite.ok && finite.kind === "undefined")
    return `${finite.message}. A network's pre-activations reach there whatever the learning rate: an activation defined for every x trains.`;
  const smaller = "smaller initial weights (a lower σ_w², or fewer layers)";
  if (finite && !finite.ok) return `${finite.message}. ${epoch === 0 ? `${smaller[0].toUpperCase()}${smaller.slice(1)}` : `A lower learning rate or ${smaller}`} may keep the pre-activations below that; an activation that does not overflow trains.`;
  return epoch === 0 ? `${smaller[0].toUpperCase()}${smaller.slice(1)} may help.` : "A lower learning rate trains.";
}

/** The networks of a run that diverged (a loss no longer finite), in sentences; "" if none.
 * `finite`: per variant, where its activation is not finite (typed formulas), or null. */
function divergedNote(variants, finite = []) {
  const gone = variants.map((v, i) => [v, i]).filter(([v]) => goneAt(v) !== null);
  if (!gone.length) return "";
  const at = (v) => (goneAt(v) === 0 ? "at epoch 0: its loss was not finite at initialisation, before any update" : `at epoch ${goneAt(v)}: its values are no longer finite`);
  return gone.map(([v, i]) => ` ${variants.length > 1 ? v.label : "The network"} diverged ${at(v)}. ${divergedAdvice(goneAt(v), finite[i])}`).join("");
}

/** "1, 3 and 10": a list in words. */
const inWords = (xs) => (xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`);

/** A sweep's networks that diverged, per series that has any: {label, where ("at every value",
 * "at learning rate 3 and 10"), when ("at epoch 1")}; [] when none did. */
function sweepDiverged(sw, paramLabel) {
  return sw.series.flatMap((s) => {
    const at = sw.values.map((v, j) => [v, s.diverged_at_epoch[j]]).filter(([, d]) => d !== null);
    if (!at.length) return [];
    return [{ label: s.label, where: at.length === sw.values.length && sw.values.length > 1 ? "at every value" : `at ${paramLabel} ${inWords(at.map(([v]) => formatNumber(v)))}`, when: epochsText(at.map(([, d]) => d)) }];
  });
}

const fmtLoss = (x) => (x === null || x === undefined ? "—" : x < 1e-3 ? x.toExponential(2) : x.toPrecision(3));
const fmtPct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)} %`);

/** The headline's R²: null on a run that has a loss is the test targets all equal (R² undefined). */
function r2Text(m, when) {
  if (m === null || m === undefined) return `R² undefined on the test set${when}: its targets are all equal`;
  return `R² ${Math.abs(m) < 1000 ? m.toFixed(3) : m.toPrecision(3)} on the test set${when}`;
}

export class NetworkView {
  constructor({ root, catalogue, meta, state, onState, onEmbed }) {
    this.root = root;
    this.catalogue = catalogue;
    this.meta = meta;
    this.fields = meta.requests.train; // each request field's type, range, default, choices
    this.form_ = meta.form; // the form: which field, in which group, labelled how
    this.maxCompare = meta.caps.compare;
    this.onState = onState;
    this.latest = new Latest();
    this.trace = null;
    this.sweep = null;
    this.frame = 0;
    this.panels = {};
    for (const node of root.querySelectorAll("[data-panel]")) {
      const name = node.dataset.panel;
      const spec = panelSpec(meta, name);
      // (also what the theory overlay redraws with)
      if (spec.figure) spec.figure = explaining(name, spec.figure);
      this.panels[name] = new Panel(node, { ...spec, name, embed: true, onEmbed });
    }
    this.form = root.querySelector("#net-controls");
    this.status = root.querySelector("#train-status");
    this.progress = root.querySelector("#train-progress");
    this.trainBtn = root.querySelector("#train");
    this.stopBtn = root.querySelector("#stop");
    this.summary = root.querySelector("#net-summary");
    // a phone (the one-column layout of app.css): stacked subplots, legends under the plots
    this.narrow = window.matchMedia("(max-width: 760px)");
    this.narrow.addEventListener("change", () => this.restyle());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      // Enter in a box (its change has committed the value) trains only when a change retrains;
      // Train itself always does (a click leaves no box focused)
      // (nor while Play goes on: the box's change went on with it)
      const box = document.activeElement;
      if ((!this.state.auto || this.live.playing) && this.form.contains(box) && box.matches("input, select")) return;
      this.run();
      // a phone puts the results under ~2,400 px of controls: Train (or Enter in a field far
      // above) brings them into view; beside the controls (a wide screen) nothing moves
      const results = root.querySelector(".content");
      if (results.getBoundingClientRect().top > window.innerHeight / 2) results.scrollIntoView({ block: "start" });
    });
    this.stopBtn.addEventListener("click", () => this.stop());
    for (const r of root.querySelectorAll('input[name="mode"]')) {
      r.addEventListener("change", () => this.set({ mode: r.value }, true, { rebuild: true }));
    }
    root.querySelector("#net-add").addEventListener("click", () => {
      const used = new Set(this.state.act.map((s) => s.name));
      const next = meta.explorer.compare_next.find((n) => !used.has(n)) || "relu";
      this.set({ act: [...this.state.act, { name: next, params: {} }] }, true, { rebuild: true });
    });
    this.sweepParam = root.querySelector("#sweep-param");
    this.sweepValues = root.querySelector("#sweep-values");
    this.sweepMetric = root.querySelector("#sweep-metric");
    this.sweepMetric.replaceChildren(...Object.entries(meta.metrics).map(([v, t]) => el("option", { value: v, text: t })));
    this.sweepParam.addEventListener("change", () => {
      const sweep = this.sweepParam.value;
      // momentum is SGD's (Adam reads none: the API refuses such a sweep, needs_sgd)
      const optimizer = sweep === "momentum" ? { optimizer: "sgd" } : {};
      this.set({ sweep, values: this.defaultValues(sweep), ...optimizer }, true, { rebuild: true });
    });
    this.sweepValues.addEventListener("change", () => {
      const values = this.sweepValues.value.split(",").map((s) => s.trim()).filter(Boolean);
      const problem = this.sweepValuesProblem(values);
      this.sweepValues.setCustomValidity(problem);
      if (problem) {
        this.sweepValues.reportValidity();
        this.setStatus(`Sweep values: ${problem}${this.staleNote(true)}`, true);
        return;
      }
      this.setStatus("");
      this.set({ values }, true);
    });
    this.discrete = root.querySelector("#net-discrete");
    this.discrete.addEventListener("change", () => {
      this.state.discrete = this.discrete.checked;
      this.onState({ discrete: this.state.discrete }, true);
      if (this.trace) this.drawBoundary();
    });
    const diagramRoot = root.querySelector("#diagram-panel");
    // (a panel like the others: exports and the embed of /embed/network; diagram-panel.js)
    this.diagramPanel = new DiagramPanel(diagramRoot, { ...meta.panels.network, name: "network", labels: meta.labels.features, onEmbed });
    diagramRoot.querySelector("#diagram-variant").addEventListener("change", (e) => {
      this.diagramVariant = Number(e.target.value);
      this.drawDiagram();
    });
    this.live = new LiveTraining(this);
    this.own = new OwnData(this);
    this.gradKind = root.querySelector("#grad-kind");
    this.gradKind.replaceChildren(...Object.entries(meta.gradients).map(([v, g]) => el("option", { value: v, text: g.menu })));
    this.gradKind.addEventListener("change", () => {
      this.state.grad = this.gradKind.value;
      this.onState({ grad: this.state.grad }, true);
      if (this.trace) this.drawTrace(); // the trace holds both: no new run
    });
    this.sweepMetric.addEventListener("change", () => {
      this.state.metric = this.sweepMetric.value;
      this.onState({ metric: this.state.metric }, true);
      if (this.sweep) this.drawSweep();
    });
    this.apply(state);
  }

  /** Take a whole state (first load, back/forward) and rebuild the controls. */
  apply(state) {
    const mode = ["train", "compare", "sweep"].includes(state.mode) ? state.mode : "train";
    const max = mode === "train" ? 1 : this.maxCompare;
    let act = sanitiseSpecs(state.act, this.catalogue, max);
    if (!act.length) act = [{ name: "relu", params: {} }];
    this.state = { ...state, mode, act };
    this.buildControls();
    this.stale = true;
    if (this.visible) this.autoRun(true);
  }

  defaultValues(param) {
    return sweepDefaults(param, this.state.act, this.catalogue, this.meta.state);
  }

  /** A swept parameter's name as the controls show it, and its allowed range. */
  sweepInfo(param, actSpecs = this.state.act) {
    return sweepRange(param, actSpecs, this.catalogue, this.meta.state);
  }

  /** What is wrong with the typed sweep values ("" when nothing is). */
  sweepValuesProblem(values) {
    const { label, min, max } = this.sweepInfo(this.state.sweep);
    if (!values.length) return `Enter one or more values of ${label}, separated by commas.`;
    const cap = this.meta.caps.sweep_values;
    if (values.length > cap) return `Up to ${cap} values (there are ${values.length}).`;
    for (const v of values) {
      const x = Number(v);
      if (!Number.isFinite(x)) return `${v} is not a number.`;
      if (x < min || x > max) return `${v} is outside ${formatNumber(min)}–${formatNumber(max)} for ${label}.`;
    }
    return "";
  }

  /** Float parameters shared by every chosen activation (what a sweep can move). */
  sweepableParams() {
    return sweepableParams(this.state.act, this.catalogue);
  }

  buildControls() {
    const s = this.state;
    for (const r of this.root.querySelectorAll('input[name="mode"]')) r.checked = r.value === s.mode;
    // activations
    const list = this.root.querySelector("#net-curves");
    const max = s.mode === "train" ? 1 : this.maxCompare;
    this.root.querySelector("#net-activations legend").textContent = s.mode === "train" ? "Activation" : s.mode === "compare" ? "Activations to compare" : "Activations to sweep";
    list.replaceChildren(
      ...s.act.map((spec, i) =>
        activationCard(this.catalogue, spec, i, {
          onChange: (next, committed) => {
            const act = this.state.act.map((x, j) => (j === i ? next : x));
            this.set({ act }, committed, { rebuild: next.name !== this.state.act[i].name });
          },
          onRemove: s.act.length > 1 ? () => this.set({ act: this.state.act.filter((_, j) => j !== i) }, true, { rebuild: true }) : null,
        }),
      ),
    );
    const add = this.root.querySelector("#net-add");
    add.hidden = s.mode === "train";
    add.disabled = s.act.length >= max;
    add.title = add.disabled ? `Up to ${max} activations at once` : "";
    // sweep
    const sweepBox = this.root.querySelector("#net-sweep");
    sweepBox.hidden = s.mode !== "sweep";
    const options = [["learning_rate", "learning rate"], ["momentum", "momentum (SGD)"], ...this.sweepableParams().map((p) => [p.id, p.label])];
    this.sweepParam.replaceChildren(...options.map(([v, t]) => el("option", { value: v, text: t })));
    if (!options.some(([v]) => v === s.sweep)) {
      s.sweep = "learning_rate";
      s.values = this.defaultValues("learning_rate");
    }
    this.sweepParam.value = s.sweep;
    this.sweepValues.value = s.values.join(", ");
    this.sweepValues.setCustomValidity("");
    this.sweepMetric.value = s.metric;
    this.gradKind.value = this.meta.gradients[s.grad] ? s.grad : "input";
    this.discrete.checked = !!s.discrete;
    if (this.live) this.live.update();
    if (s.mode === "sweep") this.summary.replaceChildren(); // (the cards summarise a Train or Compare run)
    this.root.querySelector("#net-show").hidden = s.mode === "sweep";
    this.root.querySelector("#net-panels").hidden = s.mode === "sweep";
    this.root.querySelector("#sweep-panels").hidden = s.mode !== "sweep";
    // data, network, training fields
    const groups = { data: "#net-data", network: "#net-network", training: "#net-training" };
    for (const [g, sel] of Object.entries(groups)) {
      const fs = this.root.querySelector(sel);
      fs.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
      for (const f of this.form_.filter((x) => x.group === g)) {
        if (!shown(f, s)) continue;
        fs.append(this.fieldControl(f));
      }
      if (g === "data") fs.append(this.own.controls());
      if (g === "training") {
        const auto = el("input", { type: "checkbox", id: "net-auto" });
        auto.checked = s.auto;
        auto.addEventListener("change", () => {
          this.state.auto = auto.checked;
          this.onState({ auto: auto.checked }, true);
        });
        fs.append(el("label", { class: "check", for: "net-auto" }, auto, " Retrain when a setting changes"));
      }
    }
  }

  fieldControl(f) {
    const info = this.fields[f.key];
    const value = this.state[f.key];
    const help = f.help || info.description || "";
    if (f.options) {
      return select({
        label: f.label,
        name: f.key,
        choices: f.options.map((v) => [String(v), String(v)]),
        value: String(value),
        help,
        onChange: (v) => this.set({ [f.key]: Number(v) }, true),
      });
    }
    if (f.kind === "checks") {
      const labels = this.meta.labels[f.key] || {};
      const box = el("fieldset", { class: "checks", id: `net-${f.key}` }, el("legend", { text: f.label }));
      for (const [name, text] of Object.entries(labels)) {
        const input = el("input", { type: "checkbox", value: name, "data-param": f.key });
        input.checked = value.includes(name);
        input.addEventListener("change", () => {
          const chosen = [...box.querySelectorAll("input:checked")].map((x) => x.value);
          if (!chosen.length) {
            input.checked = true; // at least one input
            return;
          }
          this.set({ [f.key]: chosen }, true);
        });
        box.append(el("label", { class: "check" }, input, ` ${text}`));
      }
      box.append(el("small", { text: help }));
      return box;
    }
    if (f.kind === "widths") {
      const id = `net-${f.key}`;
      const input = el("input", { type: "text", id, inputmode: "numeric", spellcheck: "false", value: value.join(", "), placeholder: `${this.state.depth} × ${this.state.width}`, "data-param": f.key });
      input.addEventListener("change", () => {
        const parts = input.value.split(/[\s,]+/).filter(Boolean);
        const w = this.fields.width;
        const bad = parts.find((x) => !/^\d+$/.test(x) || Number(x) < w.min || Number(x) > w.max);
        const problem = bad !== undefined ? `${bad} is not a width in ${w.min}–${w.max}` : parts.length > this.fields.depth.max ? `at most ${this.fields.depth.max} layers` : "";
        input.setCustomValidity(problem);
        if (problem) {
          input.reportValidity();
          this.setStatus(`${f.label}: ${problem}.`, true);
          return;
        }
        this.set({ [f.key]: parts.map((x) => String(Number(x))) }, true, { rebuild: true });
      });
      return el("div", { class: "field" }, el("label", { for: id, text: f.label }), input, el("small", { text: help }));
    }
    if (info.choices) {
      return select({
        label: f.label,
        name: f.key,
        choices: info.choices.map((v) => [v, (this.meta.labels[f.key] || {})[v] || v]),
        value,
        // a choice other fields depend on ("when": optimizer, init, dataset) rebuilds the form
        onChange: (v) => this.set({ [f.key]: v }, true, { rebuild: f.key === "dataset" || this.form_.some((x) => x.when && f.key in x.when) }),
      });
    }
    if (f.number) {
      const id = `net-${f.key}`;
      const input = el("input", { type: "number", id, min: info.min, max: info.max, step: f.step, value, "data-param": f.key });
      input.addEventListener("change", () => {
        const v = input.value.trim() === "" ? NaN : Math.round(Number(input.value)); // (an emptied box is not 0)
        if (!Number.isFinite(v) || v < info.min || v > info.max) {
          input.value = String(this.state[f.key]);
          return;
        }
        this.set({ [f.key]: v }, true);
      });
      return el("div", { class: "field" }, el("label", { for: id, text: f.label }), input, el("small", { text: help }));
    }
    const isInt = info.type === "integer";
    return slider({
      label: f.label,
      name: f.key,
      min: info.min,
      max: info.max,
      step: f.step,
      log: f.log,
      value,
      default: info.default,
      help: f.help,
      onInput: (v) => {
        this.state[f.key] = isInt ? Math.round(v) : v;
        this.onState({ [f.key]: this.state[f.key] }, false);
      },
      onCommit: (v) => this.set({ [f.key]: isInt ? Math.round(v) : v }, true),
    });
  }

  set(patch, committed, { rebuild = false } = {}) {
    if (patch.mode) {
      const max = patch.mode === "train" ? 1 : this.maxCompare;
      patch.act = (patch.act || this.state.act).slice(0, max);
      if (patch.mode !== "train" && patch.act.length === 1 && patch.mode === "compare") {
        patch.act = [...patch.act, { name: patch.act[0].name === "relu" ? "leaky_relu" : "relu", params: {} }];
      }
    }
    Object.assign(this.state, patch);
    this.onState(patch, committed);
    const goesOn = committed && this.live.settingsChanged(this.saidChange(patch));
    if (rebuild) keepingFocus(this.form, () => this.buildControls());
    if (goesOn) {
      // Play goes on with the new learning rate (…) from its next chunk: no retraining from epoch 0
      this.showsResult("trace");
      return;
    }
    this.stale = true;
    if (committed) this.autoRun(false);
  }

  /** A change of form fields in words: "Learning rate 0.3". */
  saidChange(patch) {
    return Object.entries(patch)
      .map(([key, value]) => {
        const f = this.form_.find((x) => x.key === key);
        return f ? `${f.label} ${typeof value === "number" ? formatNumber(value) : value}` : "";
      })
      .filter(Boolean)
      .join(", ");
  }

  /** Called when the tab becomes visible: a shared link shows its plots without a click. */
  shown() {
    this.visible = true;
    if (this.stale || (!this.trace && !this.sweep)) this.autoRun(true);
  }

  autoRun(force) {
    if (!this.visible) return;
    const min = this.meta.own_points.min;
    // the plane of own points, left for another dataset: the shown run's map again
    if (!this.own.active && this.trace && this.panels.boundary.plot.dataset.plane) this.drawBoundary();
    // no run: what the plots show is of other settings (another dataset, the points before the
    // last Undo, the value before this change), which the page says and the plots show faded
    if (this.own.active && this.own.points().length < min) {
      this.own.refresh();
      this.setStatus(`Add points by clicking the plane (or upload a CSV): at least ${min} to train.${this.staleNote()}`);
      return;
    }
    if (!force && !this.state.auto) {
      const note = this.staleNote();
      this.setStatus(note || !this.shownRun() ? `Settings changed — press Train to see them.${note}` : "The plots show these settings.");
      return;
    }
    clearTimeout(this.autoTimer);
    this.autoTimer = setTimeout(() => this.run(), force ? 0 : 150);
  }

  requestBody() {
    return requestBody(this.state, this.catalogue, this.meta, this.own.points());
  }

  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
  }

  /** Stop the run under way. A Train run stopped after its first epoch is drawn as it was
   * there: the server keeps nothing, so the same settings are trained again to that epoch (the
   * same numbers: training is deterministic for a seed), whose state Step and Play continue. */
  stop() {
    clearTimeout(this.autoTimer); // (a run a committed box was about to start: a Stop click blurs the box)
    const redrawing = this.stoppedAt; // (a Stop while a stopped run is trained again to its epoch: drop that too)
    const p = redrawing || this.lastProgress;
    this.latest.abort();
    this.stoppedAt = null;
    this.running(false);
    if (!redrawing && this.state.mode !== "sweep" && p && p.epoch >= 1 && p.epoch < p.epochs) {
      this.run({ epoch: p.epoch, epochs: p.epochs, ...this.runBody });
      return;
    }
    const at = p ? ` at epoch ${p.epoch} of ${p.epochs}` : "";
    const shown = this.shownRun();
    const note = this.staleNote(); // (the stopped run's settings may be new)
    this.setStatus(!shown ? `Stopped${at}, so there is nothing to show yet: press Train to run again.` : note ? `Stopped${at}.${note}` : `Stopped${at}. The plots still show the previous run (${shown}).`);
  }

  /** The settings a run was made with, as a key: the request they make (what its results depend on). */
  settingsKey() {
    return JSON.stringify(this.requestBody());
  }

  /** The plots now show a result (``kind``: "trace" or "sweep") of the settings ``key`` (as they
   * were when it was asked for: they may have changed since, with no run to follow); returns
   * staleNote()'s sentence. */
  showsResult(kind, key = this.settingsKey()) {
    this[`${kind}Key`] = key;
    return this.staleNote();
  }

  /** With no new run, or after one failed: what the plots still show, said (and the plots marked
   * stale) when it is of other settings than these (``force``: of settings not taken, e.g. sweep
   * values refused), or "". */
  staleNote(force = false) {
    const shown = this.shownRun();
    const key = this.state.mode === "sweep" ? this.sweepKey : this.traceKey;
    const stale = shown && (force || key !== this.settingsKey()) ? shown : null;
    this.markStale(stale);
    return stale ? ` The plots still show an earlier run (${stale}), not these settings.` : "";
  }

  /** Mark the plots (faded) and say above them that they show ``shown`` (an earlier run), or unmark them (null). */
  markStale(shown) {
    this.root.dataset.stale = shown ? "1" : "0";
    const banner = this.root.querySelector("#net-stale");
    banner.hidden = !shown;
    banner.textContent = shown ? `From an earlier run (${shown}), not the current settings.` : "";
  }

  /** The run the plots show now, in a few words (null when nothing is drawn). */
  shownRun() {
    if (this.state.mode === "sweep") {
      const sw = this.sweep;
      if (!sw) return null;
      const acts = sw.series.map((x) => x.label).join(", ");
      return `${acts} on ${this.datasetName(sw.config.dataset)} at ${sw.values.length} values of ${this.sweepInfo(sw.param, sw.series.map((x) => x.activation)).label}, ${sw.epochs} epochs`;
    }
    const t = this.trace;
    return t ? `${t.variants.map((v) => v.label).join(", ")} on ${this.datasetName(t.config.dataset)}, ${t.epochs} epochs` : null;
  }

  /** "two moons", "XOR", "your own points": a dataset as a sentence names it. */
  datasetName(name) {
    const label = (this.meta.labels.dataset || {})[name] || name;
    return /^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label;
  }

  running(on) {
    this.trainBtn.disabled = false;
    this.stopBtn.hidden = !on;
    this.root.dataset.training = on ? "1" : "0";
    if (!on) this.progress.value = this.progress.value >= 1 ? 1 : this.progress.value;
    this.live?.update(); // Play/Step/Reset wait for the run: they continue from its end
  }

  /** Train (or sweep) with the current settings; ``stoppedAt`` (a stopped Train run: its last
   * progress's epoch and epochs, its request's body and key): train that run's settings to that
   * epoch only, and say so (see :meth:`stop`). */
  async run(stoppedAt = null) {
    clearTimeout(this.autoTimer); // (this run is the one a committed change was about to start)
    this.stale = false;
    const signal = this.latest.next();
    // (a stopped run: its own settings, which a box may have changed since with retraining off)
    const body = stoppedAt ? { ...stoppedAt.body, epochs: stoppedAt.epoch } : this.requestBody();
    const key = stoppedAt ? stoppedAt.key : JSON.stringify(body); // (the settings of what this run will show)
    this.runBody = { body, key };
    this.stoppedAt = stoppedAt;
    const stopped = stoppedAt ? `Stopped at epoch ${stoppedAt.epoch} of ${stoppedAt.epochs}` : "";
    this.running(true);
    this.progress.value = 0;
    this.progress.max = 1;
    let started = performance.now();
    this.lastProgress = null;
    // a busy server (503) is asked again after its Retry-After, counting down; a newer click aborts the wait
    const busy = (left, n) => {
      if (left) this.setStatus(`The server is busy — trying again in ${left} s (attempt ${n + 1})…`);
      else started = performance.now();
    };
    try {
      if (this.state.mode === "sweep") {
        this.summary.replaceChildren(); // (the cards summarise a Train or Compare run)
        this.progress.removeAttribute("value"); // indeterminate: a sweep is one stacked pass
        this.setStatus(`Training ${body.activations.length * body.sweep.values.length} networks at once…`);
        const sweep = await retryWhenBusy(() => postJSON("/api/sweep", body, { signal }), { signal, onWait: busy });
        if (signal.aborted) return;
        this.progress.value = 1;
        this.sweep = sweep;
        labelRuns(sweep.series, this.catalogue);
        const stale = this.showsResult("sweep", key);
        this.drawSweep();
        const cut = sweep.cut_short ? " (cut short by the time limit)" : "";
        const ms = Math.round(performance.now() - started);
        // every network diverged: the sweep stopped there, and at epoch 0 nothing was trained
        const n = sweep.series.length * sweep.values.length;
        const at = sweep.series.flatMap((s) => s.diverged_at_epoch).filter((d) => d !== null);
        const what = at.length === n && at.every((d) => d === 0)
          ? "Nothing trained."
          : at.length === n && sweep.epochs < sweep.config.epochs
            ? `Stopped at epoch ${sweep.epochs} of ${sweep.config.epochs} in ${ms} ms.`
            : `Trained ${n} networks for ${sweep.epochs} epochs in ${ms} ms${cut}.`;
        const gone = sweepDiverged(sweep, this.sweepInfo(sweep.param, sweep.series.map((x) => x.activation)).label);
        const count = at.length === n ? (n === 1 ? "The network" : `All ${n} networks`) : `${at.length} of ${n} networks`;
        const said = !at.length
          ? ""
          : sweep.series.length > 1
            ? ` ${count} diverged: ${gone.map((g) => `${g.label} ${g.where} (${g.when})`).join("; ")}.`
            : ` ${count} diverged ${at.length === n ? gone[0].when : `${gone[0].where} (${gone[0].when})`}.`;
        this.setStatus(`${what}${said}${stale}`);
      } else {
        this.setStatus(stopped ? `${stopped}. Drawing the network there: the server keeps no run, so it trains the run's settings again to epoch ${stoppedAt.epoch}…` : "Starting…");
        let result = null;
        const stream = () => postStream(
          "/api/train/stream",
          body,
          (name, data) => {
            if (signal.aborted) return;
            if (name === "progress") {
              this.root.dataset.progressEvents = String(Number(this.root.dataset.progressEvents || 0) + 1);
              this.progress.value = data.epoch / data.epochs;
              this.lastProgress = data;
              const losses = (data.loss || []).map((l) => (l === null ? "diverged" : fmtLoss(l))).join(" / ");
              if (!stopped) this.setStatus(`Epoch ${data.epoch} of ${data.epochs}${losses ? ` — training loss ${losses}` : ""}`);
            } else if (name === "result") {
              result = data;
            } else if (name === "error") {
              throw new ApiError(500, data.detail || "training failed", data.field);
            }
          },
          { signal },
        );
        await retryWhenBusy(stream, { signal, onWait: busy });
        if (signal.aborted || !result) return;
        this.progress.value = 1;
        this.trace = result;
        const current = key === this.settingsKey(); // (else a box changed while it ran: Step and Play start afresh)
        this.live.took(current ? result : null);
        labelRuns(result.variants, this.catalogue);
        this.showsResult("trace", key);
        this.frame = Math.max(0, result.variants[0].boundary ? result.variants[0].boundary.frames.length - 1 : 0);
        this.drawTrace();
        const cut = result.cut_short ? " — cut short by the time limit" : "";
        const finite = await this.finiteReports(result.variants);
        if (signal.aborted) return;
        const done = result.epoch_start + result.epochs;
        const planned = result.epoch_start + result.config.epochs;
        // every network diverged: the run stopped there, and at epoch 0 nothing was trained
        const allGone = result.variants.every((v) => goneAt(v) !== null);
        const what = allGone && result.variants.every((v) => goneAt(v) === 0)
          ? "Nothing trained."
          : allGone && done < planned
            ? `Stopped at epoch ${done} of ${planned} in ${Math.round(result.elapsed_ms)} ms.`
            : `Trained ${result.epochs} epoch${result.epochs === 1 ? "" : "s"} in ${Math.round(result.elapsed_ms)} ms${cut}.`;
        const said = stopped && !result.cut_short
          ? `${stopped}: the plots show the network at epoch ${done} (the run's settings trained again to there in ${Math.round(result.elapsed_ms)} ms).${current ? " Step or Play goes on from there; Train starts again." : ""}`
          : what;
        this.setStatus(`${said}${divergedNote(result.variants, finite)}${this.staleNote()}`);
      }
    } catch (err) {
      if (isAbort(err)) return;
      this.showError(err);
    } finally {
      if (!signal.aborted) {
        this.stoppedAt = null;
        this.running(false);
      }
    }
  }

  /** Per variant that diverged, where its typed formula is not finite on the line (GET
   * /api/formula, at its values); null for a built-in (finite for |x| ≤ 10⁴) or when unknown. */
  async finiteReports(variants) {
    return Promise.all(
      variants.map(async (v) => {
        if (goneAt(v) === null || !isFormula(v.activation)) return null;
        try {
          return (await getJSON(formulaUrl(v.activation))).finite || null;
        } catch {
          return null; // (the advice is then the general one)
        }
      }),
    );
  }

  /** Nothing drawn (a Reset whose epoch 0 could not be drawn): every plot empty, no diagram. */
  clearPlots() {
    this.overlayGen = (this.overlayGen || 0) + 1; // a theory overlay still on its way is not drawn
    for (const p of Object.values(this.panels)) if (p.showEmpty) p.showEmpty("Reset: nothing trained yet.");
    this.root.querySelector("#diagram-panel").hidden = true;
    this.diagramPanel.clear();
    this.summary.replaceChildren();
    this.markStale(null); // (nothing shown)
    if (this.own.active) this.own.showPlane();
  }

  /** An API error in the form's words, from its code and numbers. */
  showError(err, what = "Could not train") {
    const label = (key) => (this.form_.find((f) => f.key === key) || {}).label;
    const budget = ["budget", "memory", "boundary_cells"].includes(err.code);
    // drawn points all of one class (the class menu starts on one): say what to do, in the page's words
    if (err.code === "one_class" && this.own.active) {
      this.setStatus(`${what}: every point is of one class. Pick another class in the “add a point of” menu and draw some of it.`, true);
      return;
    }
    // too few (or many) points of your own: from the error's numbers, not its field's name
    if (err.code === "out_of_range" && err.field === "points.x" && this.own.active && err.body && Number.isFinite(err.body.got)) {
      const b = err.body;
      const have = `you have ${b.got.toLocaleString("en")}`;
      this.setStatus(b.got < b.min ? `Draw or upload at least ${b.min.toLocaleString("en")} points first (${have}).` : `Up to ${b.max.toLocaleString("en")} points can train (${have}): clear some or upload fewer.`, true);
      return;
    }
    const message = (budget ? budgetText(err, label) : err.message).replace(/\.$/, "");
    const field = (err.field || "").split(".")[0];
    const where = field && label(field) ? ` (see ${label(field)})` : "";
    this.setStatus(`${err.code === "busy" ? "The server is busy — try again in a moment." : what}: ${message}${where}.${this.staleNote()}`, true);
  }

  restyle() {
    if (this.trace) this.drawTrace();
    if (this.sweep) this.drawSweep();
  }

  /** Options for every figure: the phone layout, and the plots' width in pixels. */
  figureOptions() {
    const plot = this.root.querySelector(".grid:not([hidden]) .plot");
    return { narrow: this.narrow.matches, width: plot && plot.clientWidth ? plot.clientWidth : undefined };
  }

  /** The diagram of the run's last state (first: it is what Step and Play wait for). */
  drawDiagram() {
    const t = this.trace;
    const box = this.root.querySelector("#diagram-panel");
    // compare mode: one network at a time, picked in the panel's head
    const pick = box.querySelector("#diagram-variant");
    const n = t ? t.variants.length : 0;
    pick.hidden = n < 2;
    if (n > 1) {
      pick.replaceChildren(...t.variants.map((v, i) => el("option", { value: String(i), text: v.label })));
      this.diagramVariant = Math.min(this.diagramVariant || 0, n - 1);
      pick.value = String(this.diagramVariant);
    }
    const v = t && t.variants[n > 1 ? this.diagramVariant : 0];
    box.hidden = !(v && v.diagram);
    if (!v || !v.diagram) {
      this.diagramPanel.clear();
      return;
    }
    this.diagramPanel.draw(v, t);
    this.root.dataset.diagramEpoch = String(t.epochs);
    this.root.dispatchEvent(new CustomEvent("net:diagram", { bubbles: true }));
  }

  drawTrace({ diagramOnly = false, diagram = true } = {}) {
    // a point just drawn on the plane: the plane stays where it is on screen (the diagram and
    // the summary, which come with the first run, would push it half a screen down mid-drawing)
    const plane = !diagramOnly && this.own.active && this.own.anchor ? this.panels.boundary.root : null;
    if (plane) this.own.anchor = false;
    const top = plane ? plane.getBoundingClientRect().top : 0;
    this.drawTraceAll({ diagramOnly, diagram });
    const moved = plane ? plane.getBoundingClientRect().top - top : 0;
    if (Math.abs(moved) > 1) window.scrollBy(0, moved);
  }

  drawTraceAll({ diagramOnly, diagram }) {
    if (diagram) this.drawDiagram();
    if (diagramOnly) return;
    const t = this.trace;
    const P = this.panels;
    const opts = this.figureOptions();
    const grad = this.meta.gradients[this.state.grad] || this.meta.gradients.input;
    const fig = (name) => this.panels[name].opts.figure(t, { ...opts, grad: this.state.grad, gradients: this.meta.gradients });
    // several activations: the plots with one line or subplot each span the grid (app.css)
    this.root.dataset.variants = String(t.variants.length);
    P.loss.setTitle(t.task === "regression" ? this.meta.panels.loss.title.replace("accuracy", "R²") : this.meta.panels.loss.title);
    const gone = divergedCaption(t); // (said under every plot of the run)
    draw(P.loss, fig("loss"), { table: tables.lossTable(t), json: pick(t, ["frames", "config"], (v) => ({ activation: v.activation, loss: v.loss, accuracy: v.accuracy, r2: v.r2 })), note: gone });
    this.drawBoundary();
    const gradJson = pick(t, ["frames"], (v) => ({ activation: v.activation, [grad.key]: v.layers[grad.key] }));
    draw(P["gradient-flow"], fig("gradient-flow"), { table: tables.layerTable(t, grad.key), json: gradJson, note: gone });
    const ratio = t.variants.map((v) => {
      const first = v.layers[grad.key][0] || [];
      const [a, b] = [first[0], first[first.length - 1]];
      if (!Number.isFinite(a) || !Number.isFinite(b)) return `${v.label}: not defined (${goneAt(v) !== null ? `diverged at epoch ${goneAt(v)}` : "no finite gradient at init"})`;
      if (b === 0) return `${v.label}: not defined (no gradient reaches the last layer)`;
      return `${v.label}: ${(a / b).toPrecision(2)}`;
    });
    const later = t.variants.some((v) => goneAt(v) > 0); // (a divergence at epoch 0 the ratio says)
    const note = `${grad.label}, first ÷ last layer at init (seed ${t.config.seed}): ${ratio.join(" · ")}.${later ? ` ${gone}` : ""}`;
    draw(P["gradient-norms"], fig("gradient-norms"), { table: tables.gradientNormsTable(t, grad.key), json: tables.gradientNormsJson(t, grad.key), note });
    draw(P.sparsity, fig("sparsity"), { table: tables.layerTable(t, "active_fraction"), json: pick(t, ["frames"], (v) => ({ activation: v.activation, active_fraction: v.layers.active_fraction })), note: gone });
    draw(P.dead, fig("dead"), { table: tables.layerTable(t, "dead_fraction"), json: pick(t, ["frames"], (v) => ({ activation: v.activation, dead_fraction: v.layers.dead_fraction })), note: gone });
    const hasPrelu = t.variants.some((v) => v.layers.prelu_slope);
    P.prelu.root.hidden = !hasPrelu;
    if (hasPrelu) draw(P.prelu, fig("prelu"), { table: tables.layerTable(t, "prelu_slope"), json: pick(t, ["frames"], (v) => ({ activation: v.activation, prelu_slope: v.layers.prelu_slope })) });
    draw(P.histogram, fig("histogram"), { json: pick(t, [], (v) => ({ activation: v.activation, histograms: v.histograms })), table: tables.histogramTable(t), note: t.variants.length > 1 ? `Showing ${t.variants[0].label}.` : "" });
    this.drawSummary();
    overlayPrediction(this, t); // the theory's prediction over the measured gradients (theory-overlay.js)
    this.root.dispatchEvent(new CustomEvent("net:drawn", { bubbles: true, detail: { trace: t } })); // a live class submits from it
  }

  drawBoundary() {
    const t = this.trace;
    const P = this.panels.boundary;
    const b = t.variants[0].boundary;
    if (!b || !b.frames.length) {
      P.showEmpty("No boundary frames recorded.");
      return;
    }
    delete P.plot.dataset.plane; // (a run's map, no longer the plane of points: own-data.js)
    this.own.attach(P); // (before the draw: a click while Plotly finishes is not lost)
    draw(P, P.opts.figure(t, { ...this.figureOptions(), frame: this.frame, discrete: this.state.discrete }), { table: tables.pointsTable(t), json: { data: t.data, boundary: t.variants.map((v) => ({ activation: v.activation, ...v.boundary })) }, note: divergedCaption(t), extra: b.frames.length > 1 }); // (one frame: nothing to replay)
    if (!P.scrubber) {
      const range = el("input", { type: "range", min: 0, step: 1, "aria-label": "Training frame of the decision boundary" });
      const play = el("button", { type: "button", text: "▶ Replay", "aria-label": "Replay the decision boundary through training" });
      const label = el("output", {});
      range.addEventListener("input", () => {
        this.frame = Number(range.value);
        this.drawBoundary();
      });
      play.addEventListener("click", () => this.togglePlay());
      P.scrubber = { range, play, label };
      P.extra.append(el("div", { class: "scrubber" }, play, range, label));
    }
    const sc = P.scrubber;
    sc.range.max = String(b.frames.length - 1);
    sc.range.value = String(Math.min(this.frame, b.frames.length - 1));
    sc.label.textContent = `epoch ${b.frames[Math.min(this.frame, b.frames.length - 1)]}`;
    sc.range.setAttribute("aria-valuetext", `${sc.label.textContent}, frame ${Number(sc.range.value) + 1} of ${b.frames.length}`); // not "3"
  }

  togglePlay() {
    const sc = this.panels.boundary.scrubber;
    if (this.playTimer) {
      clearInterval(this.playTimer);
      this.playTimer = null;
      sc.play.textContent = "▶ Replay";
      return;
    }
    const n = this.trace.variants[0].boundary.frames.length;
    if (this.frame >= n - 1) this.frame = 0;
    sc.play.textContent = "❚❚ Pause";
    this.playTimer = setInterval(() => {
      if (!this.trace || this.frame >= this.trace.variants[0].boundary.frames.length - 1) {
        this.togglePlay();
        return;
      }
      this.frame += 1;
      this.drawBoundary();
    }, 450);
  }

  drawSummary() {
    const t = this.trace;
    const widths = t.config.widths;
    const total = widths.reduce((a, b) => a + b, 0);
    this.summary.replaceChildren(
      ...t.variants.map((v, i) => {
        // a network that diverged: its last finite frame (none when it diverged at epoch 0)
        let last = v.loss.train.length - 1;
        if (goneAt(v) !== null) while (last >= 0 && (v.loss.train[last] === null || v.loss.train[last] === undefined)) last -= 1;
        const regression = t.task === "regression";
        const box = el("div", { class: "stat", "data-variant": i }, el("div", { class: "label", text: v.label }));
        if (last < 0) {
          box.append(
            el("div", { class: "value", text: `diverged at epoch ${goneAt(v)}` }),
            el("div", { class: "label", text: "its loss was not finite at initialisation: no accuracy, loss or dead units to report" }),
          );
        } else {
          const dead = v.layers.dead_fraction[last];
          const deadCount = deadUnits(dead, widths);
          const m = metricOf(v).test[last];
          const untrained = t.epochs === 0 && goneAt(v) === null; // (Reset: the initial weights)
          const when = goneAt(v) !== null ? ` at epoch ${t.frames[last]}` : untrained ? " at epoch 0" : "";
          box.append(
            el("div", { class: "value", text: regression ? r2Text(m, when) : `${fmtPct(m)} test accuracy${when}` }),
            el("div", { class: "label", text: `loss ${fmtLoss(v.loss.train[last])} · dead units ${deadCount === null ? "—" : `${deadCount} of ${total}`}` }),
          );
          if (goneAt(v) !== null) box.append(el("div", { class: "label bad", text: `then diverged at epoch ${goneAt(v)}` }));
          if (untrained) box.append(el("div", { class: "label", text: "untrained: the fresh initial weights" }));
        }
        box.style.setProperty("--swatch", seriesStyle(i).color);
        return box;
      }),
    );
  }

  drawSweep() {
    const sw = this.sweep;
    const metric = this.state.metric;
    const label = this.meta.metrics[metric] || metric;
    const paramLabel = this.sweepInfo(sw.param, sw.series.map((s) => s.activation)).label;
    const opts = { ...this.figureOptions(), paramLabel };
    this.panels.sweep.setTitle(`Sweep: ${label} against ${paramLabel}`);
    // (said under both plots: a diverged network has no final value, and its loss stops)
    const gone = sweepDiverged(sw, paramLabel).map((g) => `${sw.series.length > 1 ? `${g.label} diverged` : "Diverged"} ${g.where} (${g.when})`).join("; ");
    // a diverged network has no final value: a × on the x axis marks it (where other values are drawn)
    const finite = (y) => y !== null && Number.isFinite(y);
    const marks = sw.series.some((s) => s[metric].some(finite)) && sw.series.some((s) => s[metric].some((y, j) => s.diverged_at_epoch[j] !== null && !finite(y)));
    draw(this.panels.sweep, this.panels.sweep.opts.figure(sw, { ...opts, metric, metrics: this.meta.metrics }), { table: tables.sweepTable(sw), json: sw, note: gone && `${gone}.${marks ? ` × on the ${paramLabel} axis: a network that diverged, with no ${label}.` : ""}` });
    draw(this.panels["sweep-curves"], this.panels["sweep-curves"].opts.figure(sw, opts), { table: tables.sweepCurvesTable(sw), json: pick(sw, ["param", "values", "frames"], (s) => ({ activation: s.activation, loss: s.loss })), note: gone && `${gone}: no loss from then on.` });
    this.summary.replaceChildren();
    this.root.dispatchEvent(new CustomEvent("net:drawn", { bubbles: true, detail: { sweep: sw } }));
  }
}

/** Draw a figure in a panel; a figure that sets its own height (phone layouts) gets a plot box that tall. */
function draw(panel, figure, extras) {
  panel.plot.style.height = figure.layout.height ? `${figure.layout.height}px` : "";
  return panel.render(figure, extras);
}

function pick(obj, keys, perVariant) {
  const out = {};
  for (const k of keys) out[k] = obj[k];
  if (obj.variants) out.variants = obj.variants.map(perVariant);
  if (obj.series) out.series = obj.series.map(perVariant);
  return out;
}
