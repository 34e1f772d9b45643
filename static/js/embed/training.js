// The training embeds (kinds "train", "diagram" and "sweep"): one plot of a run or a sweep (or
// the run's network diagram), run on load when cheap, else behind a Run button. Loaded by
// ../embed.js for these kinds only.

import { errorFrom, isAbort, postJSON, retryWhenBusy } from "../lib/api.js";
import { activationCard, el } from "../lib/controls.js";
import { Diagram } from "../lib/diagram.js";
import { describeFormulas, prepareFormulas, settleSweep } from "../lib/formula.js";
import { FIGURES, FIXED_ASPECT, SUBPLOTS } from "../lib/panels.js";
import { ROW_GAP } from "../lib/figures.js";
import { defaultOf } from "../lib/url.js";
import { budgetText, labelRuns, requestBody } from "../lib/runs.js";
import { divergedCaption, explaining } from "../lib/diverged.js";
import { joinNotes, noPrediction, normsOverlay, predictionFor, withPredictedStrips } from "../lib/theory-overlay.js";

// side by side, each panel at least this wide (less the figure's margins), else they stack —
// unless the frame is too short for the stack and each would still be SHORT_FRAME_PANEL_PX wide
const PANEL_MIN_PX = 200;
const SHORT_FRAME_PANEL_PX = 150;
const MARGINS_PX = 150;
// maps in rows: the figure's title, margins and legend (px)
const ROWS_EXTRA_PX = 120;
// a network diagram's units smaller than this (px) are dots whose heatmaps can't be made out
const MIN_UNIT_PX = 24;
// the plots the explorer draws the theory's prediction over (lib/theory-overlay.js)
const THEORY_PANELS = new Set(["gradient-norms", "gradient-flow"]);

export async function show(frame, catalogue, meta, state, notes) {
  const { root, plot, latest, kind, panelName, setStatus, draw, showNotes, checkSpecs, postHeight, link } = frame;
  const sweep = kind === "sweep";
  const linkMode = state.mode;
  state.mode = sweep ? "sweep" : state.act.length > 1 ? "compare" : "train";
  await prepareFormulas(state.act, catalogue);
  state.act = checkSpecs(state.act, catalogue, sweep || state.mode === "compare" ? meta.caps.compare : 1, notes);
  if (!state.act.length) state.act = defaultOf(meta.state.act);
  await describeFormulas(state.act, catalogue);
  if (sweep) settleSweep(state, catalogue, meta.state, notes, true); // (as the explorer reads the link)
  showNotes(notes, catalogue);
  // a phone-wide frame: a fixed-aspect plot gets the explorer's phone layout (legend below,
  // subplots stacked, a height that fits it), not a colour bar as tall as the frame beside it —
  // if the frame is tall enough for it; a short one (400 × 300) gets the plot that fills it
  const narrow = window.matchMedia("(max-width: 760px)");
  const fit = FIXED_ASPECT.has(panelName);
  const plain = explaining(panelName, FIGURES[panelName]); // ("Nothing to plot" where a run leaves nothing finite)
  let shown = null;
  // the explorer panel's theory overlay (lib/theory-overlay.js) once its answer for the run shown
  // has come: the median of inits and the prediction on the norms, the strips left of the flow's map
  const grad = meta.gradients[state.grad] || meta.gradients.input;
  let prediction = null; // {result, res, note}
  const make = (result, opts) => {
    const res = prediction && prediction.result === result ? prediction.res : null;
    if (!res) return plain(result, opts);
    if (panelName === "gradient-norms") {
      const lines = normsOverlay(result, res);
      prediction.note = lines.note;
      return plain(result, { ...opts, extra: lines.traces });
    }
    const f = plain(result, opts);
    const strips = withPredictedStrips(f, result, res, grad);
    prediction.note = strips ? strips.note : "";
    return strips ? strips.figure : f;
  };
  let phone = false;
  const others = () => {
    // the frame's height less the plot's: padding, gaps and every other shown part
    const style = getComputedStyle(root);
    const shownParts = [...root.children].filter((c) => !c.hidden && getComputedStyle(c).display !== "none");
    let h = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + (parseFloat(style.rowGap) || 0) * Math.max(0, shownParts.length - 1);
    for (const c of shownParts) if (c !== plot) h += c.getBoundingClientRect().height;
    return h;
  };
  // three or more maps side by side in a frame with room under them (the Embed dialog's 720 × 480
  // left ~230 px blank under three 170 × 85 maps): two to a row, when that makes them larger
  const columns = (result, n) => {
    if (!fit || n < 3) return undefined;
    const b = result.variants[0].boundary;
    const aspect = (b.y[b.y.length - 1] - b.y[0]) / (b.x[b.x.length - 1] - b.x[0]);
    const room = (plot.clientWidth || root.clientWidth) - MARGINS_PX;
    const rows = Math.ceil(n / 2);
    const tall = ((window.innerHeight - others() - ROWS_EXTRA_PX) * (1 - ROW_GAP * (rows - 1))) / rows;
    const inRows = Math.min((room / 2) * aspect, tall);
    return inRows > 1.3 * (room / n) * aspect ? 2 : undefined;
  };
  const figure = (result) => {
    const opts = { metric: state.metric, metrics: meta.metrics, grad: state.grad, gradients: meta.gradients, width: plot.clientWidth || undefined };
    // one panel per activation, too narrow side by side: stacked as on a phone (a short frame scrolls them)
    const n = SUBPLOTS.has(panelName) ? (sweep ? result.series : result.variants).length : 1;
    opts.cols = columns(result, n);
    const each = ((plot.clientWidth || root.clientWidth) - MARGINS_PX) / n;
    if (n > 1 && each < PANEL_MIN_PX) {
      const f = make(result, { ...opts, narrow: true });
      // (720 × 480, three maps: the stack scrolled, showing one and a half maps and no colour bar)
      const tooShort = f.layout.height && f.layout.height + others() > window.innerHeight;
      if (!(tooShort && each >= SHORT_FRAME_PANEL_PX)) {
        phone = true;
        return f;
      }
      phone = false;
      return make(result, { ...opts, narrow: false });
    }
    if (fit && narrow.matches) {
      const f = make(result, { ...opts, narrow: true });
      phone = !f.layout.height || f.layout.height + others() <= window.innerHeight;
      if (phone) return f;
    }
    phone = false;
    return make(result, { ...opts, narrow: false });
  };
  if (fit) {
    // (a new width is drawn anew by ../embed.js, which calls figure again; a new height alone, here:)
    // a host that sizes the frame to the content can make room for the phone layout, or take it away
    let pending = 0;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        if (!shown || !narrow.matches) return;
        const before = phone;
        const f = figure(shown);
        if (phone !== before) draw(f, () => figure(shown), { fresh: true }); // (Plotly.react left the turned colour bar's old axis drawn)
      }, 150);
    });
  }
  const formLabel = (key) => (meta.form.find((f) => f.key === key) || {}).label;
  const tooLarge = (err) => `This network is too large to train here — ${budgetText(err, formLabel)}.`;
  const showError = (err) => {
    if (["budget", "memory", "boundary_cells"].includes(err.code)) {
      // the reader cannot make it smaller: say so in words, with no Run that would fail again
      setStatus(tooLarge(err), true);
      for (const b of root.querySelectorAll(".embed-controls button.primary")) b.hidden = true;
      return;
    }
    const field = formLabel((err.field || "").split(".")[0]);
    setStatus(`Could not train: ${err.message.replace(/\.$/, "")}${field ? ` (see ${field})` : ""}.`, true);
  };
  const run = async () => {
    link(state, { view: "network", mode: sweep ? "sweep" : linkMode });
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
      shown = result;
      if (panelName === "network") drawNetwork(result);
      else await draw(figure(result), () => figure(shown));
      const caption = result.cut_short ? "Cut short by the server's time limit." : sweep ? "" : divergedCaption(result);
      if (panelName !== "network" || result.cut_short) setStatus(caption);
      if (THEORY_PANELS.has(panelName)) await overlayPrediction(result, caption);
    } catch (err) {
      if (!isAbort(err)) showError(err);
    }
  };
  // the theory's prediction for run `result`, drawn over it with its caption after `caption`
  const overlayPrediction = async (result, caption) => {
    const why = noPrediction(result, grad);
    if (why) return setStatus(joinNotes(caption, why));
    setStatus(joinNotes(caption, "Computing the theory's prediction…"));
    let res;
    try {
      res = await predictionFor(result, meta.theory.overlay_seeds);
    } catch (err) {
      if (shown === result && !isAbort(err)) setStatus(joinNotes(caption, `No prediction: ${err.message}`));
      return;
    }
    if (shown !== result) return; // a newer run took over
    prediction = { result, res, note: "" };
    await draw(figure(result), () => figure(shown));
    setStatus(joinNotes(caption, prediction.note));
  };
  // the network diagram (the explorer's network lab's): fitted to the frame, a menu for compared activations
  let diagram = null;
  let pick = null;
  let variant = 0;
  let runs = 0;
  const drawNetwork = (result) => {
    runs += 1;
    if (!diagram) {
      plot.classList.add("embed-diagram");
      plot.setAttribute("role", "group");
      plot.removeAttribute("aria-label");
      diagram = new Diagram(plot, { labels: meta.labels.features });
      new ResizeObserver(() => shown && diagram.d && redrawNetwork()).observe(plot);
    }
    const many = result.variants.length > 1;
    if (many && !pick) {
      pick = el("select", { "aria-label": "Network of", class: "embed-variant" });
      pick.addEventListener("change", () => {
        variant = Number(pick.value);
        redrawNetwork();
      });
      diagram.view.before(pick);
    }
    if (pick) {
      pick.hidden = !many;
      pick.replaceChildren(...result.variants.map((v, i) => el("option", { value: String(i), text: v.label })));
      variant = Math.min(variant, result.variants.length - 1);
      pick.value = String(variant);
    }
    redrawNetwork();
    plot.dataset.rendered = "1";
    postHeight();
  };
  let drawnFor = "";
  const redrawNetwork = () => {
    const v = shown.variants[variant];
    if (!v.diagram) return;
    const key = `${variant}|${plot.clientWidth}|${plot.clientHeight}|${runs}`;
    if (key === drawnFor) return;
    drawnFor = key;
    // the height the layout leaves the diagram (the menu, the numbers, the table's line and the
    // caption have theirs): under the diagram the numbers, the caption in the footer; beside it
    // (.side) the numbers and the caption, when under it would leave units too small to read
    const layout = (side) => {
      plot.classList.toggle("side", side);
      diagram.summary.hidden = !side;
      setStatus(side ? "" : diagram.summary.textContent);
      // (the diagram's box grown to what the others leave: measured, then as tall as its drawing)
      Object.assign(diagram.view.style, { height: "", flexGrow: "1" });
      const height = Math.floor(diagram.view.getBoundingClientRect().height);
      diagram.view.style.flexGrow = "";
      return Math.max(120, height);
    };
    const opts = { task: shown.task, config: shown.config, n_train: shown.data.train.x.length, label: v.label };
    diagram.describe(v.diagram, opts);
    const height = layout(false);
    diagram.draw(v.diagram, { ...opts, height });
    // its preferred height (units of 36 px, the numbers under them), for a host that sizes the frame to the content
    plot.dataset.figureHeight = String(Math.ceil(plot.clientHeight - height + Math.max(...diagram.columns) * 36 * 1.25 + 20));
    if (diagram.pos.size < MIN_UNIT_PX) diagram.draw(v.diagram, { ...opts, height: layout(true) });
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
  if (root.dataset.refused) {
    // too large for the server (it said so with the page): no Run that could only fail
    link(state, { view: "network", mode: sweep ? "sweep" : linkMode });
    const box = root.querySelector(".embed-run");
    box.hidden = false;
    plot.hidden = true;
    box.querySelector("#embed-run").hidden = true;
    box.querySelector("p").textContent = tooLarge(errorFrom(422, JSON.parse(root.dataset.refused)));
    postHeight();
  } else if (root.dataset.autorun === "1") {
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
