// The theory embeds (kind "theory"): one mean-field panel of the link's activations.
// Loaded by ../embed.js for this kind only.

import { isAbort } from "../lib/api.js";
import { activationCard } from "../lib/controls.js";
import { prepareFormulas } from "../lib/formula.js";
import { theoryPanel } from "../lib/theory.js";
import { defaultOf } from "../lib/url.js";
import { curveLabel } from "../lib/runs.js";

export async function show(frame, catalogue, meta, state, notes) {
  const { root, latest, panelName, setStatus, draw, checkSpecs } = frame;
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
