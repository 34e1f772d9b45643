// The activation-list notation of links: `leaky_relu(leak=0.1),elu(alpha=0.5)`, and typed
// formulas `[x*sigmoid(b*x)](b=1.5:0:5)` whose parameters carry value:min:max[:default].
// The twin of app/core/spec.py (the grammar and the links' rule are written there); both run
// the cases in tests/cases/spec_cases.json. Formulas are compiled by the server only:
// sanitise reads its answers from catalogue.formulas (lib/formula.js prepare() fills it).

const NAME = /^[A-Za-z0-9_]+/;
const FULL_NAME = /^[A-Za-z0-9_]+$/;
const FORBIDDEN = /[,;()=[\]]/;
// A number written as text: a plain ASCII decimal (the API's grammar).
export const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function pieces(text) {
  const out = [];
  let depth = 0;
  let bracket = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (bracket) bracket = ch !== "]";
    else if (ch === "[") bracket = true;
    else if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (ch === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((p) => p.trim());
}

function parsePiece(piece) {
  let name = null;
  let formula = null;
  let rest;
  if (piece.startsWith("[")) {
    const end = piece.indexOf("]");
    if (end < 0) return null;
    formula = piece.slice(1, end).trim();
    rest = piece.slice(end + 1).trim();
    if (!formula) return null;
  } else {
    const m = NAME.exec(piece);
    if (!m) return null;
    name = m[0];
    rest = piece.slice(m[0].length).trim();
  }
  const params = {};
  if (rest) {
    if (!(rest.startsWith("(") && rest.endsWith(")"))) return null;
    const inner = rest.slice(1, -1).trim();
    for (const pair of inner ? inner.split(/[;,]/) : []) {
      if (!pair.trim()) continue; // "leak=0.1;" or "a=1,,b=2": an empty pair is no pair
      const at = pair.indexOf("=");
      if (at < 0) return null;
      const key = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!FULL_NAME.test(key) || !value || FORBIDDEN.test(value) || key in params) return null;
      params[key] = value;
    }
  }
  return formula !== null ? { formula, params } : { name, params };
}

/** {specs, notes}: the specs in `text` (values as written) and a note per unreadable piece. */
export function parse(text) {
  const specs = [];
  const notes = [];
  if (!text || !text.trim()) return { specs, notes };
  for (const piece of pieces(text)) {
    if (!piece) continue; // "relu,,elu" or a trailing comma
    const spec = parsePiece(piece);
    if (spec) specs.push(spec);
    else notes.push({ code: "unreadable", text: piece.slice(0, 60) });
  }
  return { specs, notes };
}

export const isNumber = (text) => DECIMAL.test(text);

/** The first order between parameters (as the catalogue declares them) that `params` break, or null. */
export function brokenOrder(act, params) {
  for (const o of act.orders || []) {
    const lo = params[o.low];
    const hi = params[o.high];
    if (o.strict ? !(lo < hi) : !(lo <= hi)) return o;
  }
  return null;
}

/** The first violated order between parameters, in the API's words, or null. */
function constraint(act, params) {
  const o = brokenOrder(act, params);
  if (!o) return null;
  return o.strict ? `${o.low} must be less than ${o.high}` : `${o.low} must not exceed ${o.high}`;
}

const usual = (catalogue) => catalogue.formula.default_param; // {default, min, max}: a parameter declared by nothing

/** A formula parameter's default when none is declared: 1 moved into [lo, hi]. */
export function defaultIn(catalogue, lo, hi) {
  return Math.min(Math.max(usual(catalogue).default, lo), hi);
}

/** A formula parameter's value in a link, value[:min:max[:default]]: {value, range: [min, max, default] | null}, or null. */
export function formulaValue(raw, catalogue) {
  if (typeof raw === "number") return Number.isFinite(raw) ? { value: raw, range: null } : null;
  if (typeof raw !== "string") return null;
  const parts = raw.split(":");
  if (![1, 3, 4].includes(parts.length) || !parts.every(isNumber)) return null;
  const nums = parts.map(Number);
  if (!nums.every(Number.isFinite)) return null;
  if (nums.length === 1) return { value: nums[0], range: null };
  const [, lo, hi] = nums;
  return { value: nums[0], range: [lo, hi, nums.length === 4 ? nums[3] : defaultIn(catalogue, lo, hi)] };
}

function sanitiseFormula(s, catalogue, notes) {
  const compiled = (catalogue.formulas || new Map()).get(s.formula);
  if (!compiled) throw new Error(`formula not checked by the server yet: ${s.formula}`);
  if (compiled.error) {
    const e = compiled.error;
    notes.push({ code: "formula_error", formula: s.formula.slice(0, 60), error: e.code, position: e.position, end: e.end, message: e.message });
    return null;
  }
  const { text, params: names } = compiled;
  const given = s.ranges || {}; // a spec already read (a page's state): its ranges apart
  const keys = [...Object.keys(s.params || {}), ...Object.keys(given).filter((k) => !(k in (s.params || {})))];
  for (const key of keys) {
    if (!names.includes(key)) notes.push({ code: "unknown_parameter", activation: text, param: key, allowed: [...names] });
  }
  const u = usual(catalogue);
  const isUsual = (lo, hi, d) => lo === u.min && hi === u.max && d === u.default;
  const params = {};
  const ranges = {};
  for (const name of names) {
    let r = given[name];
    if (!(name in (s.params || {})) && !r) continue;
    if (r) {
      const lo = r.min ?? u.min;
      const hi = r.max ?? u.max;
      r = { min: lo, max: hi, default: r.default ?? defaultIn(catalogue, lo, hi) };
    }
    const raw = name in (s.params || {}) ? s.params[name] : r.default;
    const read = formulaValue(raw, catalogue);
    if (!read) {
      notes.push({ code: "not_a_number", activation: text, param: name, given: raw, default: u.default });
      continue;
    }
    if (!read.range && r) read.range = [r.min, r.max, r.default];
    let [lo, hi, d] = read.range || [u.min, u.max, u.default];
    const LIMIT = catalogue.formula.param_limit;
    if (!(lo < hi && lo <= d && d <= hi && Math.max(Math.abs(lo), Math.abs(hi)) <= LIMIT)) {
      notes.push({ code: "bad_range", activation: text, param: name, given: raw, min: u.min, max: u.max, default: u.default });
      [lo, hi, d] = [u.min, u.max, u.default];
    }
    if (!isUsual(lo, hi, d)) ranges[name] = { min: lo, max: hi, default: d };
    const used = Math.min(hi, Math.max(lo, read.value));
    if (used !== read.value) notes.push({ code: "out_of_range", activation: text, param: name, given: raw, default: d, used, min: lo, max: hi });
    params[name] = used;
  }
  const out = { formula: text, params };
  if (Object.keys(ranges).length) out.ranges = ranges;
  return out;
}

/** {specs, notes}: what a link can show (the rule of app/core/spec.py), one note per change. */
export function sanitise(specs, catalogue, maxCount) {
  const out = [];
  const notes = [];
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    if (out.length >= maxCount) {
      notes.push({ code: "too_many", max: maxCount, dropped: specs.length - i });
      break;
    }
    if (s.formula !== undefined && s.formula !== null) {
      const checked = sanitiseFormula(s, catalogue, notes);
      if (checked) out.push(checked);
      continue;
    }
    const act = catalogue.byId[s.name];
    if (!act) {
      notes.push({ code: "unknown_activation", name: s.name });
      continue;
    }
    let params = {};
    for (const key of Object.keys(s.params || {})) {
      if (!act.params.some((p) => p.id === key)) notes.push({ code: "unknown_parameter", activation: act.id, param: key, allowed: act.params.map((p) => p.id) });
    }
    for (const p of act.params) {
      if (!(p.id in (s.params || {}))) continue;
      const raw = s.params[p.id];
      const base = { activation: act.id, param: p.id, given: raw, default: p.default };
      if (p.kind === "choice") {
        if (p.choices.includes(raw)) params[p.id] = raw;
        else notes.push({ code: "not_a_choice", ...base, choices: [...p.choices] });
        continue;
      }
      const value = typeof raw === "number" ? raw : typeof raw === "string" && isNumber(raw) ? Number(raw) : NaN;
      if (Number.isNaN(value)) { // (a decimal beyond float64's range is ±Infinity: out of range)
        notes.push({ code: "not_a_number", ...base });
        continue;
      }
      const used = Math.min(p.max, Math.max(p.min, value));
      if (used !== value) notes.push({ code: "out_of_range", ...base, used, min: p.min, max: p.max });
      params[p.id] = used;
    }
    const problem = constraint(act, { ...defaults(act), ...params });
    if (problem) {
      notes.push({ code: "constraint", activation: act.id, params: Object.keys(params).sort(), message: problem });
      params = {};
    }
    out.push({ name: act.id, params });
  }
  return { specs: out, notes };
}

export function defaults(act) {
  return Object.fromEntries(act.params.map((p) => [p.id, p.default]));
}

/** `x` rounded to 12 significant digits, in JavaScript's shortest form (as the server writes it). */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(12)));
}

const formatValue = (v) => (typeof v === "string" ? v : formatNumber(Number(v)));

/** A formula's parameters as a link writes them (value, value:min:max or value:min:max:default;
 * left out at the usual declaration and value), or, with `explicit`, as the API's queries take
 * them: every given or declared one, the range always with its default. */
export function formulaPairs(s, catalogue, explicit = false) {
  const params = s.params || {};
  const ranges = s.ranges || {};
  const out = [];
  for (const k of [...Object.keys(params), ...Object.keys(ranges).filter((k) => !(k in params))]) {
    const r = ranges[k];
    const v = k in params ? params[k] : r.default;
    if (typeof v === "string") {
      out.push([k, v]);
      continue;
    }
    const n = [v, r ? r.min : null, r ? r.max : null, r ? r.default : null].map((x) => (x === null ? null : formatNumber(Number(x))));
    if (explicit) {
      out.push([k, r ? n.join(":") : n[0]]);
      continue;
    }
    const u = usual(catalogue);
    if (!r || (r.min === u.min && r.max === u.max && r.default === u.default)) {
      if (Number(v) !== u.default) out.push([k, n[0]]);
      continue;
    }
    const text = n.slice(0, 3).join(":");
    out.push([k, Number(r.default) === defaultIn(catalogue, r.min, r.max) ? text : `${text}:${n[3]}`]);
  }
  return out;
}

/** The query of GET /api/curve and /api/formula for a formula spec: formula=…&b=value[:min:max:default]. */
export function formulaQuery(s) {
  return [["formula", s.formula], ...formulaPairs(s, null, true)];
}

/** The notation for `specs`; a catalogue activation's parameters at their default are left out. */
export function format(specs, catalogue) {
  return specs
    .map((s) => {
      let head;
      let keep;
      if (s.formula !== undefined && s.formula !== null) {
        head = `[${s.formula}]`;
        keep = formulaPairs(s, catalogue);
      } else {
        const act = catalogue.byId[s.name];
        head = s.name;
        keep = [];
        for (const p of act ? act.params : []) {
          const v = (s.params || {})[p.id];
          if (v === undefined || v === null) continue;
          const same = p.kind === "choice" ? v === p.default : Number(v) === Number(p.default);
          if (!same) keep.push([p.id, v]);
        }
      }
      const parts = keep.map(([k, v]) => `${k}=${formatValue(v)}`);
      return parts.length ? `${head}(${parts.join(",")})` : head;
    })
    .join(",");
}

/** The network's activations led by `spec`: the Train mode's one, or put first in Compare's and
 * Sweep's list, the others kept after it (the same one moved, not repeated; the last left out when
 * the list already held `max`) — what "train a network with this" from another view sets. */
export function networkLedBy(state, spec, catalogue, max) {
  if (state.mode === "train") return [spec];
  const key = format([spec], catalogue);
  return [spec, ...state.act.filter((s) => format([s], catalogue) !== key)].slice(0, max);
}

/** A note in words, for the notice a page shows about a hand-edited link (spec notes name an
 * activation; setting notes, from url.js's readLink, name a key). `menu`: the page has an activation menu. */
export function noteText(note, catalogue, { menu = true } = {}) {
  const name = (id) => (catalogue.byId[id] ? catalogue.byId[id].name : id);
  const shown = (v) => JSON.stringify(typeof v === "string" && v.length > 40 ? `${v.slice(0, 40)}…` : v);
  const value = (v) => (typeof v === "number" ? formatNumber(v) : v);
  if (note.key && !note.activation) {
    const range = note.min !== undefined ? ` (allowed ${formatNumber(note.min)} to ${formatNumber(note.max)})` : "";
    switch (note.code) {
      case "unknown_setting":
        return `${shown(note.key)} is not a setting of this page: ignored.`;
      case "not_a_number":
        return `${note.key}=${shown(note.given)} is not a number: using ${value(note.used)}.`;
      case "out_of_range":
        return `${note.key}=${shown(note.given)} is out of range${range}: using ${value(note.used)}.`;
      case "not_whole":
        return `${note.key}=${shown(note.given)} is not a whole number${range}: using ${value(note.used)}.`;
      case "not_a_bool":
        return `${note.key}=${shown(note.given)} is not 0 or 1: using ${note.used ? 1 : 0}.`;
      case "not_a_choice":
        return `${note.key}=${shown(note.given)} is not one of ${note.choices.join(", ")}: using ${note.used}.`;
      case "unreadable":
        return `${note.key}: could not read ${shown(note.text)} as an activation: left out.`;
      case "bad_point":
        return `Point ${note.index + 1} of the link, ${shown(note.given)}, is not x₁,x₂,label (three decimals within ±${formatNumber(note.limit)}): left out.`;
      case "too_many":
        return note.key === "pts" ? `At most ${note.max} points in a link: the last ${note.dropped} left out.`
          : `${note.key}: at most ${note.max} values: the last ${note.dropped} left out.`;
      case "not_choices":
        return `${note.key}: ${note.given.map(shown).join(", ")}${note.dropped > note.given.length ? " …" : ""} ${note.dropped === 1 ? "is not one" : "are not"} of ${note.choices.join(", ")}: left out.`;
      case "needs_sgd":
        return `${note.key}=${shown(note.given)}: a momentum sweep needs SGD (Adam reads no momentum): using ${note.used}.`;
      case "not_numbers":
        return `${note.key}: ${note.given.map(shown).join(", ")}${note.dropped > note.given.length ? " …" : ""} ${note.dropped === 1 ? "is not a number" : "are not numbers"}: left out.`;
      case "values_outside":
        return `${note.key}: ${note.given.map(shown).join(", ")} ${note.given.length === 1 ? "is" : "are"} outside the range of ${note.label}, ${formatNumber(note.min)} to ${formatNumber(note.max)}: left out.`;
      case "no_values":
        return `${note.key}: no value of ${note.label} to sweep: using ${note.used.join(", ")}.`;
      case "not_sweepable":
        return `${note.key}=${shown(note.given)} is not a parameter of every activation chosen (${note.activations.join(", ")}): sweeping the learning rate.`;
      default:
        break;
    }
  }
  switch (note.code) {
    case "not_ordered":
      return `${note.keys[0]}=${formatNumber(note.given[0])} is not below ${note.keys[1]}=${formatNumber(note.given[1])}: using ${note.keys[0]}=${formatNumber(note.used[0])}, ${note.keys[1]}=${formatNumber(note.used[1])}.`;
    case "unreadable":
      return `Could not read ${shown(note.text)} as an activation: left out.`;
    case "too_many":
      return `At most ${note.max} activations at once: the last ${note.dropped} left out.`;
    case "unknown_activation":
      return `There is no activation ${shown(note.name)}${menu ? " (the activation menu lists them all)" : ""}: left out.`;
    case "unknown_parameter":
      return `${name(note.activation)} has no parameter ${shown(note.param)}${note.allowed.length ? ` (it has ${note.allowed.join(", ")})` : ""}: ignored.`;
    case "not_a_choice":
      return `${name(note.activation)}: ${note.param}=${note.given} is not one of ${note.choices.join(", ")}: using ${note.default}.`;
    case "not_a_number":
      return `${name(note.activation)}: ${note.param}=${note.given} is not a number: using the default ${value(note.default)}.`;
    case "out_of_range":
      return `${name(note.activation)}: ${note.param}=${note.given} is outside ${formatNumber(note.min)} to ${formatNumber(note.max)}: using ${formatNumber(note.used)}.`;
    case "constraint":
      return `${name(note.activation)}: ${note.message}: using the defaults.`;
    case "bad_range":
      return `${name(note.activation)}: ${note.param}=${note.given} is not a range min < max with the default inside: using ${formatNumber(note.min)} to ${formatNumber(note.max)}.`;
    case "formula_error":
      return `Your formula ${shown(note.formula)} could not be used (${note.message}): ${note.mend ? `it is in ${note.mend}'s first card, to mend` : "left out"}.`;
    case "empty":
      return `No activation could be used: showing ${name(note.used)}.`;
    default:
      return `${note.code}: ${JSON.stringify(note)}`;
  }
}
