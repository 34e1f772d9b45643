/** What the network view's requests and every legend say, shared by the views and the
 * embeds (so that an embed does not load a whole view): the /api/train body for a state, and
 * the labels of curves and runs. */
import { isFormula, requestActivation } from "./formula.js";

/** A curve's legend label: its name, with the parameters that differ from their defaults (all of
 * them when the same activation is listed more than once). */
export function curveLabel(spec, catalogue, specs) {
  if (isFormula(spec)) {
    const same = specs.filter((s) => s.formula === spec.formula).length > 1;
    const usual = catalogue.formula.default_param.default;
    const parts = Object.entries(spec.params || {})
      .filter(([k, v]) => same || Number(v) !== ((spec.ranges || {})[k] || { default: usual }).default)
      .map(([k, v]) => `${k}=${v}`);
    // a long formula's start (a legend entry of 300 characters ran past the plot; the card has all of it)
    const text = spec.formula.length > 36 ? `${spec.formula.slice(0, 35)}…` : spec.formula;
    return parts.length ? `${text} (${parts.join(", ")})` : text;
  }
  const act = catalogue.byId[spec.name];
  const sameName = specs.filter((s) => s.name === spec.name).length > 1;
  const parts = act.params
    .filter((p) => spec.params[p.id] !== undefined && (sameName || spec.params[p.id] !== p.default))
    .map((p) => `${p.id}=${spec.params[p.id]}`);
  return parts.length ? `${act.name} (${parts.join(", ")})` : act.name;
}

/** The /api/train (or, in sweep mode, /api/sweep) body for a network-view state; ``points``:
 * own data (the link's pts, or more imported ones). */
export function requestBody(s, catalogue, meta, points = s.pts || []) {
  const body = { activations: s.act.map((a) => requestActivation(a, catalogue) || { name: a.name, params: coerceParams(a, catalogue) }), ...meta.explorer.recording };
  for (const f of meta.form) if (s[f.key] !== undefined && shown(f, s)) body[f.key] = s[f.key];
  body.widths = (s.widths || []).length ? s.widths.map(Number) : null;
  if (s.dataset === "own") body.points = { x: points.map((p) => [p[0], p[1]]), y: points.map((p) => p[2]), task: s.ptask || "classify" };
  if (s.mode === "sweep") {
    body.sweep = { param: s.sweep, values: s.values.map(Number) };
    body.boundary_frames = 0;
    delete body.unit_grid;
  } else {
    body.include_state = true;
  }
  return body;
}

/** A form field's "when": a value, a list of values, or [] for "empty". */
function matches(want, have) {
  if (Array.isArray(want)) return want.length ? want.includes(have) : !(have && have.length);
  return have === want;
}

/** Whether a form field is read in this state (its "when" holds): requests leave the others out. */
export const shown = (f, s) => !f.when || Object.entries(f.when).every(([k, v]) => matches(v, s[k]));

/** Labels for a run's variants (or a sweep's series), as the legends show them. */
export function labelRuns(list, catalogue) {
  const acts = list.map((x) => x.activation);
  list.forEach((x) => (x.label = curveLabel(x.activation, catalogue, acts)));
}

/** Parameters as the API wants them: numbers for float params, strings for choices. */
export function coerceParams(spec, catalogue) {
  const act = catalogue.byId[spec.name];
  const out = {};
  for (const p of act.params) {
    const v = spec.params[p.id];
    if (v === undefined) continue;
    out[p.id] = p.kind === "float" ? Number(v) : String(v);
  }
  return out;
}

/** A cost and its limit with as many significant digits (3 or more) as tell them apart
 * (1.602e+10 over 1.60e+10, not 1.60e+10 over 1.60e+10). */
function apart(cost, limit) {
  for (let digits = 3; digits < 17; digits++) {
    if (cost.toPrecision(digits) !== limit.toPrecision(digits)) return [cost.toPrecision(digits), limit.toPrecision(digits)];
  }
  return [cost.toPrecision(17), limit.toPrecision(17)];
}

/** A budget error in the form's words, from its numbers (code "budget" / "memory" / "boundary_cells"). */
export function budgetText(err, label) {
  const b = err.body;
  const reduce = (b.reduce || []).map((k) => (label(k) || k.replace(/_/g, " ")).toLowerCase()).join(", ");
  if (err.code === "budget") {
    const fit = b.fit_epochs >= 1 ? `with the rest unchanged, at most ${b.fit_epochs.toLocaleString("en")} epochs fit; or ` : "";
    const [cost, limit] = apart(b.cost, b.limit);
    return `this run costs ${cost} units of compute; the limit is ${limit}: ${fit}reduce ${reduce}`;
  }
  if (err.code === "memory") return `this run needs ${b.elements.toLocaleString("en")} numbers per layer; the limit is ${b.limit.toLocaleString("en")}: reduce ${reduce}`;
  return `this run records ${b.cells.toLocaleString("en")} boundary cells; the limit is ${b.limit.toLocaleString("en")}: reduce ${reduce}`;
}
