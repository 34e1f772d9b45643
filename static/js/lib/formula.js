// Your own activation on the page. The server reads and compiles every formula (GET
// /api/formula); this file never looks inside the text: it asks, keeps the answers on the
// catalogue object, and finds the description a spec stands for.
//
//   catalogue.formulas  : source text → {text (canonical), params: [names]} | {error: {code, position, end, message}}
//   catalogue.described : key(spec)   → the /api/formula answer (its .activation has the catalogue's shape)

import { getJSON } from "./api.js";
import { formatNumber, formulaQuery } from "./spec.js";

const isFormula = (spec) => spec && spec.formula !== undefined && spec.formula !== null;
export { isFormula };

const inflight = new Map(); // url → promise of the answer

function fetchOnce(url) {
  if (!inflight.has(url)) {
    const p = getJSON(url).catch((err) => {
      inflight.delete(url); // an error answer (or a network failure) is asked again next time
      throw err;
    });
    inflight.set(url, p);
    if (inflight.size > 500) inflight.delete(inflight.keys().next().value);
  }
  return inflight.get(url);
}

/** GET /api/formula for a spec (its text, parameter values and ranges). */
export function formulaUrl(spec) {
  return `/api/formula?${new URLSearchParams(formulaQuery(spec))}`;
}

/** What a spec's description is kept under: its text and its ranges other than the usual one. */
export function formulaKey(spec, catalogue) {
  const u = catalogue.formula.default_param;
  const ranges = Object.entries(spec.ranges || {})
    .filter(([, r]) => !(r.min === u.min && r.max === u.max && r.default === u.default))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, r]) => `${k}=${r.min}:${r.max}:${r.default}`);
  return `${spec.formula}|${ranges.join(";")}`;
}

function tables(catalogue) {
  if (!catalogue.formulas) catalogue.formulas = new Map();
  if (!catalogue.described) catalogue.described = new Map();
  return catalogue;
}

function remember(catalogue, source, info) {
  const { formulas, described } = tables(catalogue);
  formulas.set(source, { text: info.text, params: info.params.map((p) => p.name) });
  formulas.set(info.text, formulas.get(source)); // the canonical text reads as itself
  const ranges = Object.fromEntries(info.params.map((p) => [p.name, { min: p.min, max: p.max, default: p.default }]));
  described.set(formulaKey({ formula: info.text, ranges }, catalogue), info);
}

/**
 * Compile `text` on the server: {ok: true, info} (the /api/formula answer) or {ok: false,
 * error: {code, position, end, message, field}} when the server refuses it (a 422 with the
 * formula's code). Other failures (network, 503) throw.
 */
export async function compileFormula(text, catalogue, spec = { formula: text }) {
  try {
    const info = await fetchOnce(formulaUrl({ ...spec, formula: text }));
    remember(catalogue, text, info);
    return { ok: true, info };
  } catch (err) {
    if (err.status !== 422) throw err;
    const b = err.body || {};
    // the API's detail starts with the field ("formula: at character 7: …"): the card shows the rest
    const message = err.field && err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    const error = { code: err.code, position: b.position ?? null, end: b.end ?? null, message, field: err.field };
    if (err.field === "formula") tables(catalogue).formulas.set(text, { error });
    return { ok: false, error };
  }
}

/** Ask the server about every formula among `specs` (links: before spec.sanitise reads them). */
export async function prepareFormulas(specs, catalogue) {
  tables(catalogue);
  const texts = [...new Set(specs.filter(isFormula).map((s) => s.formula))].filter((t) => !catalogue.formulas.has(t));
  await Promise.all(texts.map((t) => compileFormula(t, catalogue)));
}

/** The description of each (sanitised) formula spec with its ranges, fetched where missing. */
export async function describeFormulas(specs, catalogue) {
  tables(catalogue);
  await Promise.all(
    specs
      .filter((s) => isFormula(s) && !catalogue.described.has(formulaKey(s, catalogue)))
      .map(async (s) => {
        const info = await fetchOnce(formulaUrl({ formula: s.formula, params: {}, ranges: s.ranges }));
        catalogue.described.set(formulaKey(s, catalogue), info);
      }),
  );
}

/** The server's full answer for a formula spec (derivative, snippet, …), if fetched. */
export function formulaInfo(spec, catalogue) {
  return tables(catalogue).described.get(formulaKey(spec, catalogue)) || null;
}

/** The activation a spec stands for, in the catalogue's shape: a built-in, or a formula's description. */
/** Float parameters every activation of `specs` has: what a sweep can move besides the learning rate and momentum. */
export function sweepableParams(specs, catalogue) {
  const lists = specs.map((s) => actOf(s, catalogue).params.filter((p) => p.kind === "float"));
  if (!lists.length) return [];
  return lists[0].filter((p) => lists.every((l) => l.some((q) => q.id === p.id)));
}

/** What a sweep of `param` may take: {label, min, max} — the learning rate's and momentum's
 * ranges (the link schema's), else the range every activation of `specs` accepts. */
export function sweepRange(param, specs, catalogue, schema) {
  if (param === "learning_rate" || param === "momentum") return { label: param.replace(/_/g, " "), min: schema[param].min, max: schema[param].max };
  const found = specs.map((a) => actOf(a, catalogue).params.find((p) => p.id === param)).filter(Boolean);
  if (!found.length) return { label: param.replace(/_/g, " "), min: -Infinity, max: Infinity };
  return { label: found[0].label, min: Math.max(...found.map((p) => p.min)), max: Math.min(...found.map((p) => p.max)) };
}

/** A sweep's usual values: the server's for the learning rate and momentum, else six across the range. */
export function sweepDefaults(param, specs, catalogue, schema) {
  if (schema.values.usual[param]) return [...schema.values.usual[param]];
  const { min, max } = sweepRange(param, specs, catalogue, schema);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return ["0.1"];
  return Array.from({ length: 6 }, (_, i) => formatNumber(Number((min + ((max - min) * i) / 5).toPrecision(3))));
}

/** A link's sweep made one the API takes, with a note for each change (the explorer and the
 * sweep embed both): a momentum sweep trains with SGD (Adam reads no momentum); a parameter
 * not every activation has sweeps the learning rate; values outside what the swept setting
 * takes are left out, and with none left it sweeps its usual values. Notes only when ``sweeping``. */
export function settleSweep(s, catalogue, schema, notes, sweeping = s.mode === "sweep") {
  if (s.sweep === "momentum" && s.optimizer !== "sgd" && sweeping) {
    notes.push({ code: "needs_sgd", key: "optimizer", given: s.optimizer, used: "sgd" });
    s.optimizer = "sgd";
  }
  const movable = ["learning_rate", "momentum", ...sweepableParams(s.act, catalogue).map((p) => p.id)];
  if (!movable.includes(s.sweep)) {
    if (sweeping) notes.push({ code: "not_sweepable", key: "sweep", given: s.sweep, activations: s.act.map((a) => actOf(a, catalogue).name) });
    s.sweep = "learning_rate";
    s.values = [...schema.values.default];
  }
  const { label, min, max } = sweepRange(s.sweep, s.act, catalogue, schema);
  const takes = (v) => Number(v) >= min && Number(v) <= max;
  const outside = s.values.filter((v) => !takes(v));
  if (outside.length && sweeping) notes.push({ code: "values_outside", key: "values", given: outside, label, min, max });
  s.values = s.values.filter(takes);
  if (!s.values.length) {
    s.values = sweepDefaults(s.sweep, s.act, catalogue, schema);
    if (sweeping) notes.push({ code: "no_values", key: "values", label, used: s.values });
  }
}

export function actOf(spec, catalogue) {
  if (!isFormula(spec)) return catalogue.byId[spec.name];
  const info = formulaInfo(spec, catalogue);
  if (info) return info.activation;
  // not described yet: its text, and parameters as given (ranges from the spec or the usual one)
  const u = catalogue.formula.default_param;
  const params = Object.keys({ ...(spec.params || {}), ...(spec.ranges || {}) }).map((id) => {
    const r = (spec.ranges || {})[id] || u;
    return { id, label: id, kind: "float", default: r.default, min: r.min, max: r.max, step: 0.01, help: "" };
  });
  return { id: `formula:${spec.formula}`, name: spec.formula, params, properties: {}, mathml: "", convention: "", description: "", formula: true };
}

/** A spec as the API's JSON bodies take it: {name, params} or {formula, params, ranges}. */
export function requestActivation(spec, catalogue) {
  if (!isFormula(spec)) return null;
  const params = Object.fromEntries(Object.entries(spec.params || {}).map(([k, v]) => [k, Number(v)]));
  return { formula: spec.formula, params, ranges: { ...(spec.ranges || {}) } };
}
