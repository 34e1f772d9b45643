// An embedded plot: reads the explorer's query string, draws one plot that fills the frame,
// optionally shows that plot's sliders, and tells the host page its height (postMessage).

import { curveUrl, getJSON, isAbort, Latest, loadCatalogue, loadMeta, postJSON } from "./lib/api.js";
import { activationCard, el } from "./lib/controls.js";
import { functionFigure } from "./lib/figures.js";
import { FIGURES } from "./lib/panels.js";
import { applyTheme } from "./lib/theme.js";
import { defaultOf, readLink } from "./lib/url.js";
import { describeFormulas, prepareFormulas } from "./lib/formula.js";
import { curveLabel, sanitiseSpecs } from "./views/function-view.js";
import { labelRuns, requestBody } from "./views/network-view.js";

const root = document.querySelector(".embed-root");
const plot = root.querySelector(".embed-plot");
const status = root.querySelector(".embed-status");
const panelName = root.dataset.panel;
const kind = root.dataset.kind;
const latest = new Latest();

function postHeight() {
  if (window.parent === window) return;
  const height = Math.ceil(document.documentElement.scrollHeight);
  window.parent.postMessage({ type: "actlab:embed-height", height, src: location.href }, "*");
}

function setStatus(text, error = false) {
  status.textContent = text;
  status.classList.toggle("error", error);
}

async function draw(figure) {
  const layout = { ...figure.layout, autosize: true };
  await window.Plotly.react(plot, figure.data, layout, {
    responsive: true,
    displaylogo: false,
    displayModeBar: root.dataset.modebar === "1" ? "hover" : false,
    toImageButtonOptions: { format: "png", filename: panelName, width: 1280, height: 720, scale: 1.5 },
    modeBarButtonsToRemove: ["lasso2d", "select2d"],
  });
  plot.dataset.rendered = "1";
  postHeight();
}

async function functionEmbed(catalogue, meta, state) {
  await prepareFormulas(state.fn, catalogue); // typed formulas: checked by the server
  state.fn = sanitiseSpecs(state.fn, catalogue, meta.caps.curves);
  if (!state.fn.length) state.fn = defaultOf(meta.state.fn);
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

async function trainingEmbed(catalogue, meta, state) {
  const sweep = kind === "sweep";
  state.mode = sweep ? "sweep" : state.act.length > 1 ? "compare" : "train";
  await prepareFormulas(state.act, catalogue);
  state.act = sanitiseSpecs(state.act, catalogue, sweep || state.mode === "compare" ? meta.caps.compare : 1);
  if (!state.act.length) state.act = defaultOf(meta.state.act);
  await describeFormulas(state.act, catalogue);
  const run = async () => {
    const signal = latest.next();
    setStatus(sweep ? "Training one network per value…" : "Training…");
    try {
      const body = requestBody(state, catalogue, meta);
      const result = await postJSON(sweep ? "/api/sweep" : "/api/train", body, { signal });
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

async function main() {
  const [catalogue, meta] = await Promise.all([loadCatalogue(), loadMeta()]);
  const { state } = readLink(meta.state, location.search, meta.embed_keys);
  applyTheme(state.theme);
  if (kind === "function") await functionEmbed(catalogue, meta, state);
  else await trainingEmbed(catalogue, meta, state);
  new ResizeObserver(postHeight).observe(document.body);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  setStatus(`The plot failed to load: ${err.message}`, true);
});
