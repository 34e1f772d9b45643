// The lessons: the index page and one page per claim, with its live plots, the controls a
// student may vary and the measured readout (from /api/lessons/{slug}/measure — the one
// place a lesson's number and verdict come from). Presentation mode: ?present=1&step=N.

import { ApiError, getJSON, isAbort, Latest, retryWhenBusy } from "./lib/api.js";
import { clearFormulaError, el, select, showFormulaError, slider } from "./lib/controls.js";
import { modebarRoom, touchScreen } from "./lib/figures.js";
import { Panel } from "./lib/panel.js";
import { applyTheme, preferredTheme, THEMES } from "./lib/theme.js";
import { formatNumber, noteText } from "./lib/spec.js";
import { readLink, showLinkNotice } from "./lib/url.js";
import { FIGURES } from "./lessons/figures.js";
import { PAGE_KEYS, Presenter } from "./lessons/present.js";
import { announceState, onApplyState } from "./lib/page-state.js";
import { followTopBar } from "./lib/topbar.js";

followTopBar();

window.__actlab = { measures: 0 };

const params = () => new URLSearchParams(location.search);

function setupTheme(onChange) {
  const sel = document.getElementById("theme");
  const q = params().get("theme");
  const theme = THEMES.includes(q) ? q : preferredTheme(); // the link's theme, else the last one chosen
  applyTheme(theme);
  if (!sel) return;
  sel.value = theme;
  sel.addEventListener("change", () => {
    applyTheme(sel.value, { remember: true });
    onChange(sel.value);
  });
}

// (PAGE_KEYS, present.js: the keys of a lesson's address that are not its controls; the live class's is read by classroom.js)

/** {state, notes}: control values from the query string, by the links' one rule (see url.js):
 * invalid or missing → default, numbers clamped to the slider, and a note for each correction. */
function readControls(controls, q) {
  const fields = Object.fromEntries(controls.map((c) => [c.id, c.kind === "choice" ? { choices: c.choices, default: c.default }
    : c.kind === "formula" ? { default: c.default } // checked by the server, which says where it is wrong
    : { type: c.kind === "int" ? "int" : "number", min: c.min, max: c.max, default: c.default }]));
  return readLink(fields, q, PAGE_KEYS);
}

/** {present, notes}: whether the query asks for presentation mode, by the links' bool rule. */
function readPresent(q) {
  const { state, notes } = readLink({ present: { type: "bool", default: false } }, q, [...q.keys()].filter((k) => k !== "present"));
  return { present: state.present, notes };
}

/** A corrected link says so; presenting, the notice floats over the slide and goes with the
 * first key (→ to the next screen). */
function sayLinkCorrected(notes) {
  const box = showLinkNotice(notes.map((n) => noteText(n, { byId: {} })));
  if (box && document.body.classList.contains("present")) document.addEventListener("keydown", () => (box.hidden = true), { once: true });
}

/** A note when the link's step is not one of the lesson's screens (1 … steps, or "last"). */
function stepNotes(raw, presenter) {
  if (raw === null || raw === "last" || String(presenter.step) === raw) return [];
  const n = Number(raw);
  const code = raw.trim() === "" || !Number.isFinite(n) ? "not_a_number" : Number.isInteger(n) ? "out_of_range" : "not_whole";
  return [{ key: "step", code, given: raw, used: presenter.step, min: 1, max: presenter.steps }];
}

/** The controls that differ from their defaults, as query pairs. */
function controlQuery(controls, state) {
  const q = new URLSearchParams();
  for (const c of controls) {
    const v = state[c.id];
    const text = c.kind === "choice" || c.kind === "formula";
    if (text ? v !== c.default : Number(v) !== Number(c.default)) q.set(c.id, text ? v : formatNumber(Number(v)));
  }
  return q;
}

// Phones and very short screens: slides stack and scroll (the same query as in lessons.css).
const NARROW = "(max-width: 760px), (max-height: 480px)";
const SLIDE_REM = 20; // presentation type at 1280×720, in px: plots' large type is sized for it

/** How plots are drawn on this screen: large type when presenting on a wide screen, grown with the slide's type. */
function plotStyle(present) {
  const narrow = matchMedia(NARROW).matches;
  if (!present || narrow) return { big: false, scale: 1, narrow };
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || SLIDE_REM;
  return { big: true, scale: Math.round((100 * rem) / SLIDE_REM) / 100, narrow };
}

/** What a redraw depends on (on a phone also the width: its figures size their legends to it). */
const styleKey = (style) => JSON.stringify({ ...style, width: style.narrow ? innerWidth : 0 });

const scaled = (font, k) => (font && typeof font.size === "number" ? { ...font, size: Math.round(font.size * k) } : font);

/** Fit a figure to the screen: every axis makes room for its labels; type grows with the
 * slide's; on a narrow screen a legend at the right moves above the plot; on a touch screen the
 * top margin has room for the modebar above the legend. */
function fitFigure(fig, { scale, narrow }, width) {
  const layout = fig.layout;
  for (const key of Object.keys(layout)) {
    if (!/^[xy]axis\d*$/.test(key)) continue;
    const ax = { ...layout[key], automargin: true };
    if (scale !== 1) {
      ax.tickfont = scaled(ax.tickfont, scale);
      if (ax.title && typeof ax.title === "object") ax.title = { ...ax.title, font: scaled(ax.title.font, scale) };
    }
    layout[key] = ax;
  }
  if (scale !== 1) {
    layout.font = scaled(layout.font, scale);
    if (layout.hoverlabel) layout.hoverlabel = { ...layout.hoverlabel, font: scaled(layout.hoverlabel.font, scale) };
    if (layout.annotations) layout.annotations = layout.annotations.map((a) => ({ ...a, font: scaled(a.font, scale) }));
  }
  if (narrow && layout.legend && layout.legend.x >= 1 && layout.legend.xanchor !== "right" && !layout.height) {
    layout.legend = { ...layout.legend, orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" };
  }
  // a phone shows the modebar over the first legend row otherwise (a phone layout made its own room)
  if (touchScreen() && !layout.height) modebarRoom(fig.data, layout, width);
  return fig;
}

/** Long headline values get a smaller type so they stay on one or two lines. */
const sizeClass = (text) => (text.length > 22 ? " longer" : text.length > 9 ? " long" : "");

const MARK = { true: ["✓", "yes"], false: ["✗", "no"], null: ["·", "info"] };

function verdictBadge(supports) {
  return el("span", { class: `badge ${supports ? "ok" : "bad"}`, text: supports ? "✓ supports the claim" : "✗ does not support it here" });
}

class LessonPage {
  constructor(main, lesson) {
    this.main = main;
    this.lesson = lesson;
    this.latest = new Latest();
    this.result = null;
    const asked = readPresent(params());
    this.present = asked.present;
    const link = readControls(lesson.controls, params());
    link.notes.push(...asked.notes);
    const linkStep = params().get("step"); // (before the address is rewritten to what is shown)
    this.state = link.state;
    this.form = document.getElementById("lesson-controls");
    this.readoutEl = document.getElementById("readout");
    this.table = document.querySelector("#readouts tbody");
    this.status = document.getElementById("lesson-status");
    this.panels = {};
    for (const p of lesson.plots) {
      const node = main.querySelector(`.panel[data-plot="${p.id}"]`);
      this.panels[p.id] = new Panel(node, { title: p.title, help: p.help, name: `lesson-${lesson.number}-${p.id}` });
    }
    this.buildControls();
    this.watchSideScroll(document.querySelector(".side"), document.getElementById("more-below"));
    document.getElementById("remeasure").addEventListener("click", () => this.measure());
    // redraw when the screen crosses into another plot style (rotation, a window resized)
    this.styleKey = "";
    let resizing = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (styleKey(plotStyle(this.present)) !== this.styleKey) this.draw();
      }, 150);
    });
    this.presenter = new Presenter(main, lesson, {
      present: this.present,
      onShow: () => this.draw(),
      query: () => this.pageQuery(),
    });
    // the page (not presenting) opened at a screen's step: scrolled to it, and again once the
    // plots above it are drawn, unless the reader has scrolled meanwhile; the address keeps the
    // step until then
    this.openAt = !this.present && linkStep !== null && this.presenter.step > 1 ? this.presenter.step : null;
    this.updateLinks(); // the address now says what is shown
    sayLinkCorrected([...link.notes, ...stepNotes(linkStep, this.presenter)]);
    if (this.openAt) {
      const mine = () => {
        if (this.openAt === null) return;
        this.openAt = null;
        this.updateLinks();
      };
      for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) addEventListener(type, mine, { once: true, passive: true });
      this.scrollToStep();
    }
    this.measure();
  }

  buildControls() {
    const live = !this.lesson.trains; // cheap lessons follow a slider while it moves
    this.widgets = {};
    for (const c of this.lesson.controls) {
      const onValue = (v, committed) => {
        this.state[c.id] = c.kind === "int" ? Math.round(v) : v;
        this.changed = c.id; // an error names the setting the student moved
        this.updateLinks({ draft: !committed && !live });
        if (committed || live) this.schedule(committed ? 0 : 60);
      };
      if (c.kind === "formula") {
        this.form.append(this.formulaControl(c, onValue));
      } else if (c.kind === "choice") {
        const labels = c.labels || c.choices;
        this.form.append(this.widgets[c.id] = select({ label: c.label, name: c.id, help: c.help, choices: c.choices.map((x, i) => [x, labels[i]]), value: this.state[c.id], onChange: (v) => onValue(v, true) }));
      } else {
        this.form.append(
          this.widgets[c.id] = slider({
            label: c.label,
            name: c.id,
            min: c.min,
            max: c.max,
            step: c.step,
            log: c.log,
            value: this.state[c.id],
            default: c.default,
            help: c.help,
            onInput: (v) => onValue(v, false),
            onCommit: (v) => onValue(v, true),
          }),
        );
      }
    }
    this.form.addEventListener("submit", (e) => e.preventDefault());
  }

  /** Show "More settings below" while the side column hides some of its settings. */
  watchSideScroll(side, cue) {
    const update = () => {
      const own = cue.hidden ? 0 : cue.offsetHeight + parseFloat(getComputedStyle(side).rowGap || "0");
      cue.hidden = side.scrollHeight - own - side.scrollTop - side.clientHeight <= 4;
    };
    side.addEventListener("scroll", update, { passive: true });
    new ResizeObserver(update).observe(side);
    for (const child of side.children) new ResizeObserver(update).observe(child);
    cue.addEventListener("click", () => side.scrollBy({ top: side.clientHeight * 0.8, behavior: "smooth" }));
    update();
  }

  /** A student's own formula: a text field; the server checks it when the measurement runs. */
  formulaControl(c, onValue) {
    const id = `control-${c.id}`;
    const input = el("input", { type: "text", id, class: "formula-input", value: this.state[c.id], "data-param": c.id, spellcheck: "false", autocomplete: "off", "aria-describedby": `${id}-error` });
    const error = el("div", { class: "formula-error", id: `${id}-error`, role: "status", hidden: true });
    input.addEventListener("change", () => {
      this.formulas[c.id].failed = false; // not yet measured: the link carries it
      onValue(input.value.trim(), true);
    });
    // worked: the last formula measured (what the numbers show); failed: the typed one was refused
    this.formulas = { ...(this.formulas || {}), [c.id]: { input, error, worked: c.default, failed: false } };
    return el("div", { class: "field formula-field" }, el("label", { for: id, text: c.label }), input, error, c.help ? el("small", { text: c.help }) : null);
  }

  /** The page's own query: controls (non-default), presentation state, theme. */
  pageQuery({ present = this.presenter && this.presenter.present, step = this.presenter ? this.presenter.step : 1 } = {}) {
    // a formula the server refused stays out of the link: it keeps the last one that was measured
    const kept = Object.fromEntries(Object.entries(this.formulas || {}).filter(([, f]) => f.failed).map(([id, f]) => [id, f.worked]));
    const q = controlQuery(this.lesson.controls, { ...this.state, ...kept });
    if (present) {
      q.set("present", "1");
      q.set("step", String(step));
    } else if (this.openAt) q.set("step", String(this.openAt));
    const theme = document.documentElement.dataset.theme;
    if (theme && theme !== "light") q.set("theme", theme);
    return q;
  }

  updateLinks({ draft = false } = {}) {
    const q = this.pageQuery();
    const s = q.toString();
    const url = `${location.pathname}${s ? `?${s}` : ""}`;
    if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
    announceState({ draft });
    const pq = this.pageQuery({ present: true, step: 1 });
    document.getElementById("present-link").href = `${location.pathname}?${pq}`;
    const eq = this.pageQuery({ present: false });
    document.getElementById("present-exit").href = `${location.pathname}${eq.toString() ? `?${eq}` : ""}`;
  }

  /** Show the settings and the screen a query gives (a live class's state for this lesson). */
  apply(query) {
    const q = new URLSearchParams(query);
    const { present } = readPresent(q);
    if (present !== this.present) {
      location.replace(`${location.pathname}${query ? `?${query}` : ""}`); // the other layout: load it
      return;
    }
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
    this.state = readControls(this.lesson.controls, q).state;
    for (const c of this.lesson.controls) this.widgets[c.id].set(this.state[c.id]);
    if (this.present) this.presenter.show(this.presenter.stepFromUrl(), { push: false });
    this.updateLinks();
    this.measure();
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.measure(), delay);
  }

  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
  }

  async measure() {
    const signal = this.latest.next();
    const q = controlQuery(this.lesson.controls, this.state);
    const url = `/api/lessons/${this.lesson.slug}/measure${q.toString() ? `?${q}` : ""}`;
    this.main.dataset.measuring = "1";
    this.setStatus(this.lesson.trains ? "Training the networks…" : "Measuring…");
    const started = performance.now();
    const working = this.lesson.trains ? "Training the networks…" : "Measuring…";
    try {
      // a busy server (503: e.g. its own earlier measurements, cancelled here, still finishing
      // there) is asked again after its Retry-After, with a countdown, as the network view does
      const busy = (left) => this.setStatus(left ? `The server is busy — measuring again in ${left} s…` : working);
      const result = await retryWhenBusy(() => getJSON(url, { signal }), { signal, onWait: busy });
      if (signal.aborted) return;
      for (const [id, f] of Object.entries(this.formulas || {})) {
        clearFormulaError(f.input, f.error);
        f.worked = this.state[id];
        f.failed = false;
      }
      this.result = result;
      this.changed = null; // measured: a later failure of "Measure again" names no setting
      this.renderReadout();
      this.draw();
      this.scrollToStep();
      const cut = result.cut_short ? " — cut short by the time limit: numbers are partial" : "";
      this.setStatus(`Measured in ${Math.round(performance.now() - started)} ms${cut}.`, result.cut_short);
      window.__actlab.measures += 1;
      this.main.dataset.measured = String(window.__actlab.measures);
      document.body.dataset.ready = "1";
    } catch (err) {
      if (isAbort(err)) return;
      const own = err instanceof ApiError && err.status === 422 && (this.formulas || {})[err.field];
      if (own) {
        // a formula the server could not read: say where in it, and keep the last measurement
        const message = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
        showFormulaError(own.input, own.error, own.input.value, { position: err.body.position, end: err.body.end, message });
        own.failed = true;
        this.updateLinks();
        const shown = this.result ? ` The numbers below are still ${own.worked ? `for ${own.worked}` : "without a formula of yours"}.` : "";
        this.setStatus(`Your formula could not be measured: ${message.replace(/\.$/, "")}.${shown}`, true);
        document.body.dataset.ready = "1";
        return;
      }
      const busy = err.status === 503;
      const msg = busy ? "The server is busy — measure again in a moment." : `Could not measure${this.errorSetting(err)}: ${err.message}`;
      // the whole message is in the readout box; the line under "Measure again" stays short
      this.setStatus(busy ? msg : `Not measured${this.errorSetting(err)}: see above.`, true);
      this.readoutEl.replaceChildren(el("p", { class: "error-box", role: "alert", text: msg }));
      this.clearNumbers();
      document.body.dataset.ready = "1";
    } finally {
      if (!signal.aborted) delete this.main.dataset.measuring;
    }
  }

  /** " with Hidden layers at 50": the setting last moved (else the one the server named). */
  errorSetting(err) {
    const id = this.changed || (err instanceof ApiError ? err.field : null);
    const c = this.lesson.controls.find((x) => x.id === id);
    if (!c) return id ? ` (${id})` : "";
    const v = this.state[c.id];
    const shown = c.kind === "choice" ? (c.labels || c.choices)[c.choices.indexOf(v)] : typeof v === "number" ? formatNumber(v) : v;
    return ` with ${c.label} at ${shown}`;
  }

  /** After a failed measurement nothing of the previous one stays on screen as if it were current. */
  clearNumbers() {
    this.result = null;
    const none = "Not measured at these settings.";
    for (const panel of Object.values(this.panels)) panel.showEmpty(none);
    this.table.replaceChildren(el("tr", { class: "not-measured" }, el("td", { colspan: "4", text: none })));
    document.getElementById("numbers-verdict").replaceChildren();
    this.readoutEl.classList.remove("supports", "refutes");
  }

  renderReadout() {
    const r = this.result;
    const head = r.readouts[0];
    this.readoutEl.replaceChildren(
      el(
        "div",
        { class: "headline" },
        el("div", { class: "row claim-row" }, el("span", { class: "key", text: "Claim" }), el("span", { class: "val", text: head.target })),
        el("div", { class: "row measured-row" }, el("span", { class: "key", text: "Measured" }), el("span", { class: `val big${sizeClass(head.text)}`, "data-readout": head.id, text: head.text })),
        el("p", { class: "what", text: head.label }),
      ),
      el("div", { class: "verdict" }, verdictBadge(r.verdict.supports), el("p", { text: r.verdict.text })),
    );
    this.readoutEl.classList.toggle("supports", r.verdict.supports);
    this.readoutEl.classList.toggle("refutes", !r.verdict.supports);
    this.table.replaceChildren(
      ...r.readouts.map((ro) => {
        const [mark, cls] = MARK[String(ro.supports)];
        return el(
          "tr",
          { "data-readout": ro.id },
          el("th", { scope: "row", text: ro.label }),
          el("td", { class: "num", text: ro.text }),
          el("td", { class: "target", text: ro.target }),
          el("td", { class: `mark ${cls}`, text: mark, title: ro.supports === null ? "for information" : ro.supports ? "supports the claim" : "does not support the claim" }),
        );
      }),
    );
    const nv = document.getElementById("numbers-verdict");
    nv.replaceChildren(verdictBadge(r.verdict.supports), document.createTextNode(` ${r.verdict.text}`));
    for (const a of document.querySelectorAll("a.explorer-link")) a.href = r.explorer;
    for (const p of document.querySelectorAll(".explorer-note")) p.textContent = r.explorer_note;
  }

  /** Draw the plots that are on screen (all in page mode, the current one when presenting). */
  draw() {
    if (!this.result) return;
    const builders = FIGURES[this.lesson.slug] || {};
    const style = plotStyle(this.present);
    this.styleKey = styleKey(style);
    const { big } = style;
    for (const p of this.lesson.plots) {
      const panel = this.panels[p.id];
      if (panel.root.closest("[hidden]")) continue;
      const build = builders[p.id];
      if (!build) {
        panel.showEmpty("No figure for this plot.");
        continue;
      }
      try {
        const width = panel.plot.clientWidth || undefined;
        const fig = fitFigure(build(this.result.data, { big, narrow: style.narrow, width }), style, width);
        panel.plot.style.height = fig.layout.height ? `${fig.layout.height}px` : ""; // a phone layout sets its own height
        panel.render(fig, { json: { params: this.result.params, data: this.result.data } });
      } catch (err) {
        console.error(err);
        panel.showEmpty(`Could not draw: ${err.message}`);
      }
    }
  }

  scrollToStep() {
    if (this.openAt) this.main.querySelector(`.step[data-step="${this.openAt}"]`)?.scrollIntoView({ block: "start" });
  }

  restyle() {
    this.updateLinks();
    this.draw();
  }
}

async function lessonMain() {
  const main = document.getElementById("main");
  const lesson = await getJSON(`/api/lessons/${main.dataset.slug}`);
  let page = null;
  setupTheme(() => page && page.restyle());
  page = new LessonPage(main, lesson);
  window.__actlab.page = page;
  onApplyState((query) => page.apply(query));
}

function indexMain() {
  setupTheme((theme) => {
    const q = theme === "light" ? "" : `?theme=${theme}`;
    history.replaceState(null, "", `${location.pathname}${q}`);
    const link = document.getElementById("present-all");
    const url = new URL(link.href);
    if (theme === "light") url.searchParams.delete("theme");
    else url.searchParams.set("theme", theme);
    link.href = `${url.pathname}${url.search}`;
    for (const a of document.querySelectorAll("a.lesson-link")) {
      const u = new URL(a.href);
      u.search = q;
      a.href = `${u.pathname}${u.search}`;
    }
  });
  document.body.dataset.ready = "1";
}

const start = document.body.classList.contains("lesson-page") ? lessonMain() : Promise.resolve(indexMain());
start.catch((err) => {
  console.error(err);
  const main = document.getElementById("main");
  main.prepend(el("p", { class: "error-box", role: "alert", text: `The lesson failed to start: ${err.message}` }));
});
