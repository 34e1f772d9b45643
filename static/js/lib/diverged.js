// A run's networks that diverged (a loss no longer finite), said on its plots: by the explorer's
// network view and by the training embeds.

import { colours } from "./theme.js";

/** The epoch at which a run's network (a trace variant) diverged, or null. */
export const goneAt = (v) => (v.diverged_at_epoch === null || v.diverged_at_epoch === undefined ? null : v.diverged_at_epoch);

/** "at epoch 3", "at epochs 0–2": when the networks of a list diverged (epochs, none null). */
export function epochsText(epochs) {
  const lo = Math.min(...epochs);
  const hi = Math.max(...epochs);
  return lo === hi ? `at epoch ${lo}` : `at epochs ${lo}–${hi}`;
}

/** The networks of a run (its variants) or a sweep (its series, one network per value) that
 * diverged, each with its epochs of divergence; ``all``: whether every network of it did. */
function divergedRuns(run) {
  if (run.variants) return run.variants.map((v) => ({ label: v.label, epochs: goneAt(v) === null ? [] : [goneAt(v)], all: goneAt(v) !== null }));
  return run.series.map((s) => {
    const epochs = s.diverged_at_epoch.filter((d) => d !== null);
    return { label: s.label, epochs, all: epochs.length === s.diverged_at_epoch.length };
  });
}

/** A figure with no finite value at all (a run that diverged at epoch 0, a sweep whose networks
 * all diverged): no empty axes, the reason instead. A subplot with none (one per network or
 * series: gradient flow, the sweep's loss curves) says it in its own place. */
function explainEmpty(figure, run) {
  // (legend keys hold [null]; a sweep's × of a diverged run marks no value)
  const values = (d) => (d.meta === "diverged" ? [] : d.z ? d.z.flat() : d.x && d.x.length === 1 && d.x[0] === null ? [] : d.y || []);
  const finite = (d) => values(d).some((v) => v !== null && Number.isFinite(v));
  const runs = divergedRuns(run);
  const many = runs.length > 1;
  const message = (text) => ({ text: `Nothing to plot:<br>${text}.`, xref: "paper", yref: "paper", showarrow: false, font: { color: colours().muted, size: 14 } });
  if (!figure.data.some(finite)) {
    const gone = runs.filter((r) => r.epochs.length);
    if (!gone.length) return figure;
    const who = !many
      ? `${run.series ? "Every network" : "The network"} diverged ${epochsText(gone[0].epochs)}`
      : run.series
        ? `Every network diverged: ${gone.map((r) => `${r.label} ${epochsText(r.epochs)}`).join(", ")}`
        : gone.map((r) => `${r.label} diverged ${epochsText(r.epochs)}`).join(", ");
    const layout = { ...figure.layout, showlegend: false, shapes: [] };
    for (const k of Object.keys(layout)) if (/^[xy]axis\d*$/.test(k)) layout[k] = { ...layout[k], visible: false };
    layout.margin = { ...layout.margin, l: 16, r: 16 }; // (the message centred in the panel)
    layout.annotations = [{ ...message(who), x: 0.5, y: 0.5 }];
    return { data: figure.data.filter((d) => d.meta !== "diverged").map((d) => ({ ...d, showscale: false })), layout };
  }
  if (!many || !figure.layout.xaxis2) return figure; // (a figure of one subplot per network or series has a second x axis)
  const layout = { ...figure.layout, annotations: [...(figure.layout.annotations || [])] };
  runs.forEach((r, i) => {
    const [xa, xkey, ykey] = i === 0 ? ["x", "xaxis", "yaxis"] : [`x${i + 1}`, `xaxis${i + 1}`, `yaxis${i + 1}`];
    if (!r.all || !layout[xkey] || figure.data.some((d) => (d.xaxis || "x") === xa && finite(d))) return;
    const [x0, x1] = layout[xkey].domain || [0, 1];
    const [y0, y1] = (layout[ykey] && layout[ykey].domain) || [0, 1];
    // (an empty log axis: Plotly's 10⁻¹…10⁴ is a scale of nothing)
    if (layout[ykey] && layout[ykey].type === "log") layout[ykey] = { ...layout[ykey], showticklabels: false, showgrid: false };
    layout.annotations.push({ ...message(`${run.series ? "every network " : ""}diverged ${epochsText(r.epochs)}`), x: (x0 + x1) / 2, y: (y0 + y1) / 2, xanchor: "center", yanchor: "middle" });
  });
  return { data: figure.data, layout };
}

// plots drawn empty when nothing is finite (the histogram and boundary say it their own way)
const EXPLAINED = new Set(["loss", "gradient-flow", "gradient-norms", "sparsity", "dead", "prelu", "sweep", "sweep-curves"]);

/** A panel's figure function that says "Nothing to plot" where a run leaves nothing finite
 * (the panels of EXPLAINED; others unchanged). */
export function explaining(name, make) {
  if (!EXPLAINED.has(name)) return make;
  return (t, o) => (t.variants || t.series ? explainEmpty(make(t, o), t) : make(t, o));
}

/** A panel's caption for a run where some network diverged (its values stop there), or "". */
export function divergedCaption(trace) {
  const gone = trace.variants.filter((v) => goneAt(v) !== null);
  if (!gone.length) return "";
  const who = trace.variants.length > 1 ? gone.map((v) => `${v.label} diverged at epoch ${goneAt(v)}`).join(", ") : `The network diverged at epoch ${goneAt(gone[0])}`;
  return `${who}: no values from then on.`;
}
