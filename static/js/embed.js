// An embedded plot: reads the explorer's query string, draws one plot that fills the frame,
// optionally shows that plot's sliders, and tells the host page its height (postMessage).

import { curveUrl, getJSON, isAbort, Latest, loadCatalogue, postJSON } from "./lib/api.js";
import { activationCard, el } from "./lib/controls.js";
import { functionFigure } from "./lib/figures.js";
import { PANELS } from "./lib/panels.js";
import { applyTheme } from "./lib/theme.js";
import { loadTrainSchema } from "./lib/train-schema.js";
import { readState } from "./lib/url.js";
import { curveLabel, FUNCTION_STATE, GRID_POINTS, sanitiseSpecs } from "./views/function-view.js";
import { labelRuns, MAX_COMPARE, networkState, requestBody } from "./views/network-view.js";

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

async function functionEmbed(catalogue, state) {
  state.fn = sanitiseSpecs(state.fn, catalogue);
  if (!state.fn.length) state.fn = [{ name: "relu", params: {} }];
  const render = async () => {
    const signal = latest.next();
    const grid = { xmin: state.xmin, xmax: state.xmax, n: GRID_POINTS, samples: 300, seed: 0 };
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

async function trainingEmbed(catalogue, state) {
  const sweep = kind === "sweep";
  state.mode = sweep ? "sweep" : state.act.length > 1 ? "compare" : "train";
  state.act = sanitiseSpecs(state.act, catalogue, sweep || state.mode === "compare" ? MAX_COMPARE : 1);
  if (!state.act.length) state.act = [{ name: "relu", params: {} }];
  const run = async () => {
    const signal = latest.next();
    setStatus(sweep ? "Training one network per value…" : "Training…");
    try {
      const body = requestBody(state, catalogue);
      const result = await postJSON(sweep ? "/api/sweep" : "/api/train", body, { signal });
      labelRuns(sweep ? result.series : result.variants, catalogue);
      if (panelName === "prelu" && !result.variants.some((v) => v.layers.prelu_slope)) {
        setStatus("This run has no PReLU layer: choose act=prelu.", true);
        return;
      }
      await draw(PANELS[panelName].figure(result, { metric: state.metric, grad: state.grad }));
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
  const [catalogue, schema] = await Promise.all([loadCatalogue(), kind === "function" ? null : loadTrainSchema()]);
  const spec = kind === "function" ? { theme: { type: "string", default: "light" }, ...FUNCTION_STATE } : { theme: { type: "string", default: "light" }, ...networkState(schema) };
  const state = readState(spec);
  applyTheme(state.theme);
  if (kind === "function") await functionEmbed(catalogue, state);
  else await trainingEmbed(catalogue, state);
  new ResizeObserver(postHeight).observe(document.body);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  setStatus(`The plot failed to load: ${err.message}`, true);
});
