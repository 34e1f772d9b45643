// The theory embeds (kind "theory"): one mean-field panel of the link's activations.
// Loaded by ../embed.js for this kind only.

import { isAbort } from "../lib/api.js";
import { activationCard } from "../lib/controls.js";
import { prepareFormulas } from "../lib/formula.js";
import { theoryPanel } from "../lib/theory.js";
import { defaultOf } from "../lib/url.js";
import { curveLabel } from "../lib/runs.js";

export async function show(frame, catalogue, meta, state, notes) {
  const { root, latest, panelName, setStatus, draw, checkSpecs, showNotes, link } = frame;
  await prepareFormulas(state.th, catalogue);
  state.th = checkSpecs(state.th, catalogue, meta.caps.theory, notes);
  if (!state.th.length) state.th = defaultOf(meta.state.th);
  showNotes(notes, catalogue);
  const render = async () => {
    link(state, { view: "theory" });
    const signal = latest.next();
    setStatus("Computing…");
    // what is drawn (of the earlier settings) faded until the new one is: not passed off as it
    frame.plot.dataset.stale = frame.plot.dataset.rendered === "1" ? "1" : "0";
    try {
      // the phase diagram: a click moves the point here, and the link opens the lab with it
      const phaseClick = "Click the plane to move the point; Open in Activation Lab takes it there.";
      // laid out for the plot's width, and again when the frame's width changes (a narrow one as a phone's)
      const out = await theoryPanel(panelName, { state, meta, catalogue, signal, narrow: false, width: frame.plot.clientWidth || undefined, height: frame.plot.clientHeight || undefined, phaseClick, label: (s) => curveLabel(s, catalogue, state.th) });
      await draw(out.figure, () => out.remake(frame.plot.clientWidth || undefined, frame.plot.clientHeight || undefined));
      frame.plot.dataset.stale = "0";
      setStatus(out.note || "");
    } catch (err) {
      if (!isAbort(err)) setStatus(`${err.message}${err.field ? ` (field: ${err.field})` : ""}`, true);
    }
  };
  const onClick = (ev) => {
    const p = ev.points && ev.points[0];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return;
    const [sw2, sb2] = [p.x, p.y].map((v) => Number(v.toPrecision(3))); // a cell's centre, as a person would type it
    Object.assign(state, { sigma_w2: sw2, sigma_b2: sb2, init: "custom" });
    render();
  };
  // once per drawing: one drawn afresh (a new width) has lost the handlers of the one before
  const listenForClicks = () => {
    if (panelName !== "phase") return;
    frame.plot.removeListener("plotly_click", onClick);
    frame.plot.on("plotly_click", onClick);
  };
  frame.plot.addEventListener("actlab:drawn", listenForClicks);
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
