// URL state: every control lives in the query string, so a link reproduces the view.
// Activation lists read like `fn=elu(alpha=0.5),relu`; parameters at their defaults are omitted.

const KEEP = { "%28": "(", "%29": ")", "%2C": ",", "%3D": "=", "%3A": ":" };

function encodeValue(value) {
  return encodeURIComponent(String(value)).replace(/%28|%29|%2C|%3D|%3A/g, (m) => KEEP[m]);
}

/** Parse "elu(alpha=0.5),relu" into [{name, params}]. Unparseable pieces are skipped. */
export function parseSpecs(text) {
  const specs = [];
  if (!text) return specs;
  let depth = 0;
  let start = 0;
  const pieces = [];
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if ((ch === "," && depth === 0) || i === text.length) {
      pieces.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  for (const piece of pieces) {
    const m = /^([a-z0-9_]+)(?:\((.*)\))?$/i.exec(piece);
    if (!m) continue;
    const params = {};
    for (const pair of (m[2] || "").split(/[;,]/)) {
      const [k, v] = pair.split("=").map((s) => s && s.trim());
      if (k && v !== undefined && v !== "") params[k] = v;
    }
    specs.push({ name: m[1], params });
  }
  return specs;
}

/** Format specs, dropping parameters equal to their declared default. */
export function formatSpecs(specs, catalogue) {
  return specs
    .map((s) => {
      const act = catalogue.byId[s.name];
      const parts = [];
      for (const p of act ? act.params : []) {
        const v = s.params[p.id];
        if (v === undefined || v === null) continue;
        if (p.kind === "float" ? Number(v) === Number(p.default) : v === p.default) continue;
        parts.push(`${p.id}=${p.kind === "float" ? formatNumber(Number(v)) : v}`);
      }
      return parts.length ? `${s.name}(${parts.join(",")})` : s.name;
    })
    .join(",");
}

/** Shortest faithful text for a number (no 0.30000000000000004). */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  const s = String(Number(x.toPrecision(12)));
  return s;
}

/**
 * Read typed state from the query string.
 * schema: {key: {type: "number"|"int"|"string"|"bool"|"specs"|"list", default, choices?, min?, max?}}
 * notes: if given, collects one sentence per value that was replaced or clamped.
 */
export function readState(schema, search = window.location.search, notes = null) {
  const q = new URLSearchParams(search);
  const state = {};
  if (notes) {
    for (const key of new Set(q.keys())) if (!(key in schema)) notes.push(`"${key}" is not a setting of this page: ignored.`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    const raw = q.get(key);
    state[key] = raw === null ? clone(spec.default) : coerce(raw, spec);
    if (notes && raw !== null) {
      const note = correction(key, raw, state[key], spec);
      if (note) notes.push(note);
    }
  }
  return state;
}

/** What happened to a hand-written value, if it was not taken as written. */
function correction(key, raw, value, spec) {
  const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
  if (spec.type === "number" || spec.type === "int") {
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x)) return `${key}=${shown} is not a number: using ${formatNumber(value)}.`;
    if (value !== x) {
      const range = spec.min !== undefined && spec.max !== undefined ? ` (allowed ${formatNumber(spec.min)} to ${formatNumber(spec.max)})` : "";
      return `${key}=${shown} is ${spec.type === "int" && !Number.isInteger(x) ? "not a whole number" : "out of range"}${range}: using ${formatNumber(value)}.`;
    }
  } else if (spec.type === "bool") {
    if (!["0", "1", "true", "false"].includes(raw)) return `${key}=${shown} is not 0 or 1: using ${value ? 1 : 0}.`;
  } else if (spec.type === "specs") {
    if (!parseSpecs(raw).length) return `${key}=${shown} names no activation: using the default.`;
  } else if (spec.type !== "list" && spec.choices && !spec.choices.includes(raw)) {
    return `${key}=${shown} is not one of ${spec.choices.join(", ")}: using ${value}.`;
  }
  return null;
}

function clone(v) {
  return v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v;
}

function coerce(raw, spec) {
  switch (spec.type) {
    case "number":
    case "int": {
      let x = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(x)) return clone(spec.default);
      if (spec.type === "int") x = Math.round(x);
      if (spec.min !== undefined) x = Math.max(spec.min, x);
      if (spec.max !== undefined) x = Math.min(spec.max, x);
      return x;
    }
    case "bool":
      return raw === "1" || raw === "true";
    case "specs": {
      const specs = parseSpecs(raw);
      return specs.length ? specs : clone(spec.default);
    }
    case "list":
      return raw.split(",").map((s) => s.trim()).filter(Boolean);
    default:
      if (spec.choices && !spec.choices.includes(raw)) return clone(spec.default);
      return raw;
  }
}

/** The query string for `state` (keys at their default are left out). */
export function buildQuery(state, schema, catalogue) {
  const parts = [];
  for (const [key, spec] of Object.entries(schema)) {
    const v = state[key];
    if (v === undefined || v === null) continue;
    let text;
    if (spec.type === "specs") text = formatSpecs(v, catalogue);
    else if (spec.type === "list") text = v.join(",");
    else if (spec.type === "bool") text = v ? "1" : "0";
    else if (spec.type === "number" || spec.type === "int") text = formatNumber(v);
    else text = String(v);
    let def;
    if (spec.type === "specs") def = formatSpecs(spec.default, catalogue);
    else if (spec.type === "list") def = spec.default.join(",");
    else if (spec.type === "bool") def = spec.default ? "1" : "0";
    else if (spec.type === "number" || spec.type === "int") def = formatNumber(spec.default);
    else def = String(spec.default);
    if (text === def && !spec.always) continue;
    parts.push(`${key}=${encodeValue(text)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}
