// The training embeds (kinds "train" and "sweep"): one plot of a run or a sweep, run on load
// when cheap, else behind a Run button. Loaded by ../embed.js for these kinds only.

import { isAbort, postJSON, retryWhenBusy } from "../lib/api.js";
import { activationCard, el } from "../lib/controls.js";
import { describeFormulas, prepareFormulas } from "../lib/formula.js";
import { FIGURES, FIXED_ASPECT } from "../lib/panels.js";
import { defaultOf } from "../lib/url.js";
import { labelRuns, requestBody } from "../lib/runs.js";

export async function show(frame, catalogue, meta, state, notes) {
  const { root, plot, latest, kind, panelName, setStatus, draw, showNotes, checkSpecs, postHeight } = frame;
  const sweep = kind === "sweep";
  state.mode = sweep ? "sweep" : state.act.length > 1 ? "compare" : "train";
  await prepareFormulas(state.act, catalogue);
  state.act = checkSpecs(state.act, catalogue, sweep || state.mode === "compare" ? meta.caps.compare : 1, notes);
  if (!state.act.length) state.act = defaultOf(meta.state.act);
  showNotes(notes, catalogue);
  await describeFormulas(state.act, catalogue);
  // a phone-wide frame: a fixed-aspect plot gets the explorer's phone layout (legend below,
  // subplots stacked, a height that fits it), not a colour bar as tall as the frame beside it —
  // if the frame is tall enough for it; a short one (400 × 300) gets the plot that fills it
  const narrow = window.matchMedia("(max-width: 760px)");
  const fit = FIXED_ASPECT.has(panelName);
  let shown = null;
  let phone = false;
  const others = () => {
    // the frame's height less the plot's: padding, gaps and every other shown part
    const style = getComputedStyle(root);
    const shownParts = [...root.children].filter((c) => !c.hidden && getComputedStyle(c).display !== "none");
    let h = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + (parseFloat(style.rowGap) || 0) * Math.max(0, shownParts.length - 1);
    for (const c of shownParts) if (c !== plot) h += c.getBoundingClientRect().height;
    return h;
  };
  const figure = (result) => {
    const opts = { metric: state.metric, metrics: meta.metrics, grad: state.grad, gradients: meta.gradients, width: plot.clientWidth || undefined };
    if (fit && narrow.matches) {
      const f = FIGURES[panelName](result, { ...opts, narrow: true });
      phone = !f.layout.height || f.layout.height + others() <= window.innerHeight;
      if (phone) return f;
    }
    phone = false;
    return FIGURES[panelName](result, { ...opts, narrow: false });
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
        if (phone !== before) draw(f, () => figure(shown));
      }, 150);
    });
  }
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
      shown = result;
      await draw(figure(result), () => figure(shown));
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
