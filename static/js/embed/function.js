// The function embed (kind "function"): f(x) and f′(x) of the link's activations, with
// their sliders when asked for. Loaded by ../embed.js for this kind only.

import { curveUrl, getJSON, isAbort } from "../lib/api.js";
import { activationCard } from "../lib/controls.js";
import { functionFigure, touchScreen } from "../lib/figures.js";
import { describeFormulas, prepareFormulas } from "../lib/formula.js";
import { defaultOf } from "../lib/url.js";
import { curveLabel } from "../lib/runs.js";

export async function show(frame, catalogue, meta, state, notes) {
  const { root, latest, setStatus, draw, showNotes, checkSpecs, link } = frame;
  await prepareFormulas(state.fn, catalogue); // typed formulas: checked by the server
  state.fn = checkSpecs(state.fn, catalogue, meta.caps.curves, notes);
  if (!state.fn.length) state.fn = defaultOf(meta.state.fn);
  showNotes(notes, catalogue);
  await describeFormulas(state.fn, catalogue);
  const render = async () => {
    link(state, { view: "function" }); // what the reader set, opened in the explorer
    const signal = latest.next();
    const grid = { xmin: state.xmin, xmax: state.xmax, n: meta.explorer.grid_points, samples: meta.explorer.samples, seed: 0 };
    try {
      const data = await Promise.all(state.fn.map((s) => getJSON(curveUrl(s, grid), { signal })));
      const curves = data.map((d, i) => ({ label: curveLabel(state.fn[i], catalogue, state.fn), data: d }));
      const figure = () => functionFigure(curves, { regions: state.regions, samples: state.samples, touch: touchScreen(), width: frame.plot.clientWidth || undefined, height: frame.plot.clientHeight || undefined });
      await draw(figure(), figure);
      // a formula's values the plot cannot show in view (none finite, or none past a point): said
      // in the caption, as the explorer says it under its plot and in the formula's card
      const unseen = curves.filter((c) => c.data.formula && !c.data.formula.finite.ok && [...c.data.y, ...c.data.dy].some((v) => v === null));
      setStatus(unseen.map((c) => `${c.label}: ${c.data.y.every((v) => v === null) ? "nothing to draw — " : ""}${c.data.formula.finite.message}.`).join(" "));
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
