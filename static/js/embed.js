// An embedded plot: reads the explorer's query string, draws one plot that fills the frame,
// optionally shows that plot's sliders, and tells the host page its height (postMessage).

import { curveUrl, getJSON, isAbort, Latest, loadCatalogue, loadMeta, postJSON, retryWhenBusy } from "./lib/api.js";
import { activationCard, el } from "./lib/controls.js";
import { functionFigure } from "./lib/figures.js";
import { plotConfig } from "./lib/panel.js";
import { FIGURES } from "./lib/panels.js";
import { noteText, sanitise } from "./lib/spec.js";
import { applyTheme } from "./lib/theme.js";
import { theoryPanel } from "./lib/theory.js";
import { defaultOf, readLink } from "./lib/url.js";
import { describeFormulas, prepareFormulas } from "./lib/formula.js";
import { curveLabel } from "./views/function-view.js";
import { labelRuns, requestBody } from "./views/network-view.js";

const root = document.querySelector(".embed-root");
const plot = root.querySelector(".embed-plot");
const status = root.querySelector(".embed-status");
const panelName = root.dataset.panel;
const kind = root.dataset.kind;
const latest = new Latest();
// the tallest the plot asks for when the host sizes the frame to the content
const PLOT_MAX_PX = 460;

/** The height the content needs: everything at its own height, the plot at its preferred
 * height (60 % of the width, from its CSS min-height up to PLOT_MAX_PX, plus its legend) —
 * not the frame's height, which the plot stretches to fill. */
function contentHeight() {
  const style = getComputedStyle(root);
  const minPx = parseFloat(getComputedStyle(plot).minHeight) || 0; // app.css: .embed-plot
  const gap = parseFloat(style.rowGap) || 0;
  const shown = [...root.children].filter((c) => !c.hidden && getComputedStyle(c).display !== "none");
  let h = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + gap * Math.max(0, shown.length - 1);
  const preferred = Math.min(PLOT_MAX_PX, Math.max(minPx, 0.6 * root.clientWidth));
  // a legend above the plot (a narrow frame stacks its entries) comes on top of that
  const legend = plot.querySelector(".legend");
  const legendPx = legend ? legend.getBoundingClientRect().height : 0;
  for (const c of shown) {
    if (c === plot) h += preferred + legendPx;
    else if (c.classList.contains("embed-run")) h += preferred;
    else h += c.getBoundingClientRect().height;
  }
  return Math.ceil(h);
}

let lastHeight = 0;
function postHeight() {
  if (window.parent === window) return;
  const height = contentHeight();
  if (Math.abs(height - lastHeight) < 2) return;
  lastHeight = height;
  document.body.dataset.contentHeight = String(height);
  window.parent.postMessage({ type: "actlab:embed-height", height, src: location.href }, "*");
}

/** The corrections made to the link (an unknown activation, a value out of range), as the explorer lists them. */
function showNotes(notes, catalogue) {
  if (!notes.length) return;
  const box = root.querySelector(".embed-notice");
  const texts = notes.map((n) => noteText(n, catalogue));
  box.textContent = `This link was corrected: ${texts.slice(0, 4).join(" ")}${texts.length > 4 ? ` … and ${texts.length - 4} more.` : ""}`;
  box.hidden = false;
}

function setStatus(text, error = false) {
  status.textContent = text;
  status.classList.toggle("error", error);
}

async function draw(figure) {
  const layout = { ...figure.layout, autosize: true };
  await window.Plotly.react(plot, figure.data, layout, plotConfig(panelName, { displayModeBar: root.dataset.modebar === "1" ? "hover" : false }));
  plot.dataset.rendered = "1";
  postHeight();
}

/** Activations with in-range parameters (typed formulas as the server checked them), at most
 * `max` (the links' rule), the corrections noted. */
function checkSpecs(specs, catalogue, max, notes) {
  const checked = sanitise(specs, catalogue, max);
  notes.push(...checked.notes);
  return checked.specs;
}

async function functionEmbed(catalogue, meta, state, notes) {
  await prepareFormulas(state.fn, catalogue); // typed formulas: checked by the server
  state.fn = checkSpecs(state.fn, catalogue, meta.caps.curves, notes);
  if (!state.fn.length) state.fn = defaultOf(meta.state.fn);
  showNotes(notes, catalogue);
  await describeFormulas(state.fn, catalogue);
  const render = async () => {
    const signal = latest.next();
    const grid = { xmin: state.xmin, xmax: state.xmax, n: meta.explorer.grid_points, samples: meta.explorer.samples, seed: 0 };
    try {
      const data = await Promise.all(state.fn.map((s) => getJSON(curveUrl(s, grid), { signal })));
      const curves = data.map((d, i) => ({ label: curveLabel(state.fn[i], catalogue, state.fn), data: d }));
      await draw(functionFigure(curves, { regions: state.regions, samples: state.samples }));
      setStatus("");
    } catch (err) {
      if (!isAbort(err)) setStatus(err.message, true);
    }
  };
  if (root.dataset.controls === "1") {
    const form = root.querySelector(".embed-controls");
    form.hidden = false;
    state.fn.forEach((spec, i) =>
      form.append(
        activationCard(catalogue, spec, i, {
          onChange: (next) => {
            state.fn[i] = next;
            render();
          },
        }),
      ),
    );
  }
  await render();
}

async function trainingEmbed(catalogue, meta, state, notes) {
  const sweep = kind === "sweep";
  state.mode = sweep ? "sweep" : state.act.length > 1 ? "compare" : "train";
  await prepareFormulas(state.act, catalogue);
  state.act = checkSpecs(state.act, catalogue, sweep || state.mode === "compare" ? meta.caps.compare : 1, notes);
  if (!state.act.length) state.act = defaultOf(meta.state.act);
  showNotes(notes, catalogue);
  await describeFormulas(state.act, catalogue);
  const run = async () => {
    const signal = latest.next();
    const working = sweep ? "Training one network per value…" : "Training…";
    setStatus(working);
    try {
      const body = requestBody(state, catalogue, meta);
      // a busy server (503) is asked again after its Retry-After, with a countdown
      const busy = (left) => setStatus(left ? `The server is busy — trying again in ${left} s…` : working);
      const result = await retryWhenBusy(() => postJSON(sweep ? "/api/sweep" : "/api/train", body, { signal }), { signal, onWait: busy });
      labelRuns(sweep ? result.series : result.variants, catalogue);
      if (panelName === "prelu" && !result.variants.some((v) => v.layers.prelu_slope)) {
        setStatus("This run has no PReLU layer: choose act=prelu.", true);
        return;
      }
      await draw(FIGURES[panelName](result, { metric: state.metric, metrics: meta.metrics, grad: state.grad, gradients: meta.gradients }));
      setStatus(result.cut_short ? "Cut short by the server's time limit." : "");
    } catch (err) {
      if (!isAbort(err)) setStatus(`${err.message}${err.field ? ` (field: ${err.field})` : ""}`, true);
    }
  };
  if (root.dataset.controls === "1") {
    const form = root.querySelector(".embed-controls");
    form.hidden = false;
    state.act.forEach((spec, i) =>
      form.append(
        activationCard(catalogue, spec, i, {
          onChange: (next, committed) => {
            state.act[i] = next;
            if (committed) run();
          },
        }),
      ),
    );
    form.append(el("button", { type: "button", class: "primary", text: "Run again", onclick: run }));
  }
  if (root.dataset.autorun === "1") {
    await run();
  } else {
    const box = root.querySelector(".embed-run");
    box.hidden = false;
    plot.hidden = true;
    root.querySelector("#embed-run").addEventListener("click", async () => {
      box.hidden = true;
      plot.hidden = false;
      await run();
    });
    postHeight();
  }
}

async function theoryEmbed(catalogue, meta, state, notes) {
  await prepareFormulas(state.th, catalogue);
  state.th = checkSpecs(state.th, catalogue, meta.caps.theory, notes);
  if (!state.th.length) state.th = defaultOf(meta.state.th);
  const render = async () => {
    const signal = latest.next();
    setStatus("Computing…");
    try {
      const out = await theoryPanel(panelName, { state, meta, catalogue, signal, narrow: false, label: (s) => curveLabel(s, catalogue, state.th) });
      await draw(out.figure);
      setStatus(out.note || "");
    } catch (err) {
      if (!isAbort(err)) setStatus(`${err.message}${err.field ? ` (field: ${err.field})` : ""}`, true);
    }
  };
  if (root.dataset.controls === "1") {
    const form = root.querySelector(".embed-controls");
    form.hidden = false;
    state.th.forEach((spec, i) =>
      form.append(
        activationCard(catalogue, spec, i, {
          onChange: (next, committed) => {
            state.th[i] = next;
            if (committed) render();
          },
        }),
      ),
    );
  }
  await render();
}

async function main() {
  const [catalogue, meta] = await Promise.all([loadCatalogue(), loadMeta()]);
  const { state, notes } = readLink(meta.state, location.search, meta.embed_keys);
  applyTheme(state.theme);
  if (kind === "function") await functionEmbed(catalogue, meta, state, notes.filter((n) => n.key !== "act" && n.key !== "view"));
  else if (kind === "theory") await theoryEmbed(catalogue, meta, state, []);
  else await trainingEmbed(catalogue, meta, state, notes.filter((n) => n.key !== "fn"));
  new ResizeObserver(postHeight).observe(document.body);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  setStatus(`The plot failed to load: ${err.message}`, true);
});
