// A class experiment's data: what a student submits from a training run, and the teacher's
// plot of everyone's results (panel "class-results": one point per student).

import { curveLabel } from "../lib/runs.js";
import { baseLayout, seriesStyle } from "../lib/theme.js";
import { format, formatNumber } from "../lib/spec.js";

/** The share of all hidden units from each layer's share (layers of `widths` units; equal without). */
const unitShare = (fractions, widths) => {
  const w = widths && widths.length === fractions.length ? widths : fractions.map(() => 1);
  return fractions.reduce((a, f, l) => a + f * w[l], 0) / w.reduce((a, b) => a + b, 0);
};

/**
 * What a student can submit from a finished /api/train run (the trace the network view drew):
 * its activation (as links write it), numeric parameters, final test accuracy, dead fraction
 * (over every hidden unit; the layers are equally wide) and final training loss; and `label`,
 * the run as its legend names it (shown, not sent). Null for a run of several activations
 * (compare mode) or an untrained network (Reset's epoch 0). `param`: the experiment's
 * parameter, taken from the run's training settings when it is not an activation parameter
 * (e.g. learning_rate).
 */
export function runResult(trace, catalogue, param = null) {
  if (!trace || !trace.variants || trace.variants.length !== 1) return null;
  const v = trace.variants[0];
  if (trace.epochs === 0 && v.diverged_at_epoch === null) return null;
  const last = v.loss.train.length - 1;
  const params = {};
  for (const [k, x] of Object.entries(v.activation.params || {})) if (typeof x === "number") params[k] = x;
  if (param && !(param in params) && typeof (trace.config || {})[param] === "number") params[param] = trace.config[param];
  const dead = v.layers.dead_fraction[last];
  const num = (x) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return {
    activation: format([v.activation], catalogue),
    label: curveLabel(v.activation, catalogue, [v.activation]),
    params,
    test_accuracy: num(v.accuracy.test[last]),
    dead_fraction: dead && dead.length && !dead.includes(null) ? num(unitShare(dead, (trace.config || {}).widths)) : null,
    final_loss: num(v.loss.train[last]),
  };
}

/** Why `run` cannot answer `experiment` ("" when it can). labels: meta.live.numbers. */
export function resultProblem(run, experiment, labels) {
  if (!run) return "Train one activation in the Network view first: its run is what you submit.";
  if (experiment.param && !(experiment.param in run.params)) return `Your run has no ${experiment.param}: train an activation (or a setting) that has it.`;
  for (const n of experiment.collect) if (run[n] === null) return `Your run has no ${labels[n] || n} (did it diverge?): train again.`;
  return "";
}

const fmt = (n, x) => (x === null || x === undefined ? "—" : n === "final_loss" ? formatNumber(Number(x.toPrecision(3))) : `${(100 * x).toFixed(1)} %`);

/** One line saying what a result holds, e.g. "Leaky ReLU (leak=0.05): test accuracy 93.8 %". */
export function resultText(run, experiment, labels) {
  const parts = experiment.collect.map((n) => `${labels[n] || n} ${fmt(n, run[n])}`);
  return `${run.label}: ${parts.join(", ")}`;
}

const activationName = (text) => String(text || "").split("(")[0] || "?";
// Students' text (nicknames, activation lists) as Plotly shows it: its tags are not markup.
const plain = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
// … and as a spreadsheet reads a CSV cell: never a formula.
const cell = (text) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/**
 * The class plot: the experiment's parameter (x; without one, each activation is a category)
 * against `number` (y), one marker per student, one colour per activation.
 * opts: {param, paramLabel, number, numberLabel, narrow, nameOf (an activation's id → its name)}
 */
export function classResultsFigure(results, { param, paramLabel, number, numberLabel, narrow = false, nameOf = (id) => id }) {
  const names = [...new Set(results.map((r) => activationName(r.activation)))].sort();
  const data = names.map((name, i) => {
    const { color } = seriesStyle(i);
    const rows = results.filter((r) => activationName(r.activation) === name && r[number] !== null && r[number] !== undefined);
    return {
      x: rows.map((r) => (param ? r.params[param] : plain(nameOf(name)))),
      y: rows.map((r) => r[number]),
      // a catalogue activation by its name, its parameters as the link gives them: "Leaky ReLU (leak=0.1)"
      text: rows.map((r) => plain(`${r.nickname || "a student"} · ${nameOf(name) !== name ? `${nameOf(name)}${r.activation.slice(name.length).replace(/^\((.*)\)$/, " ($1)")}` : r.activation}`)),
      type: "scatter",
      mode: "markers",
      name: plain(nameOf(name)),
      marker: { size: 12, color, line: { width: 1, color: "rgba(0,0,0,0.35)" } },
      hovertemplate: `${param ? `${paramLabel} = %{x}<br>` : ""}${numberLabel} = %{y:.3g}<br>%{text}<extra></extra>`,
    };
  });
  const layout = baseLayout();
  layout.margin = { ...layout.margin, t: 36 };
  layout.xaxis = { ...layout.xaxis, title: { text: param ? paramLabel : "activation" } };
  if (!param) layout.xaxis.type = "category";
  else {
    // the values' span with room for a whole marker at each end (a leak of 0 sat on the axis,
    // half clipped); a single value is shown from 0 when it is not negative
    const xs = data.flatMap((t) => t.x).filter((x) => Number.isFinite(x));
    if (xs.length) {
      let lo = Math.min(...xs);
      const hi = Math.max(...xs);
      if (lo === hi && lo > 0) lo = 0;
      const pad = 0.06 * (hi - lo || Math.abs(hi) || 1);
      layout.xaxis.range = [lo - pad, hi + pad];
      layout.xaxis.autorange = false;
    }
  }
  layout.yaxis = { ...layout.yaxis, title: { text: numberLabel } };
  if (number !== "final_loss") layout.yaxis.range = [-0.07, 1.07]; // a fraction: 0 and 1 keep whole markers
  else layout.yaxis = { ...layout.yaxis, type: "log", exponentformat: "power" };
  layout.showlegend = true;
  if (!results.length) {
    layout.annotations = [{ text: "No results yet:<br>they appear here as students submit.", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: narrow ? 12 : 14 } }];
    layout.xaxis.showticklabels = false;
  }
  return { data, layout };
}

/** The results as a table for the CSV export. */
export function classResultsTable(results, param, numbers) {
  const columns = ["nickname", "activation", ...(param ? [param] : []), ...numbers];
  const rows = results.map((r) => [cell(r.nickname || ""), cell(r.activation), ...(param ? [r.params[param]] : []), ...numbers.map((n) => r[n])]);
  return { columns, rows };
}
