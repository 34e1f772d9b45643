// URL state: every control lives in the query string, so a link reproduces the view.
// What each setting is (type, default, range, choices) comes from GET /api/meta ("state");
// a link is read by the one rule of app/api/meta.py (read_link), which this file implements
// too: tests/cases/spec_cases.json holds cases both run.

import { format, formatNumber, isNumber, parse } from "./spec.js";

export { formatNumber };

const KEEP = { "%28": "(", "%29": ")", "%2C": ",", "%3D": "=", "%3A": ":", "%5B": "[", "%5D": "]" };

export function encodeValue(value) {
  return encodeURIComponent(String(value)).replace(/%28|%29|%2C|%3D|%3A|%5B|%5D/g, (m) => KEEP[m]);
}

/** A setting's default as the page holds it (activation lists parsed, lists copied). */
export function defaultOf(field) {
  if (field.type === "specs") return parse(field.default).specs;
  if (field.type === "list") return [...field.default];
  if (field.type === "points") return [];
  return field.default;
}

/**
 * {state, notes}: the settings in `search`, read by the links' rule. `fields` is meta.state
 * (or part of it); `ignore` lists keys that are known but not settings (the embeds' options);
 * `ordered`, pairs of settings that are one range's ends (meta.ordered). Activation lists come back parsed (values as written), for spec.sanitise.
 */
export function readLink(fields, search = window.location.search, ignore = [], ordered = []) {
  const q = new URLSearchParams(search);
  const state = {};
  const notes = [];
  for (const key of new Set(q.keys())) if (!(key in fields) && !ignore.includes(key)) notes.push({ code: "unknown_setting", key });
  for (const [key, f] of Object.entries(fields)) {
    const raw = q.get(key);
    if (raw === null) {
      state[key] = defaultOf(f);
      continue;
    }
    if (f.type === "number" || f.type === "int") {
      if (!isNumber(raw)) { // (a decimal beyond float64's range is ±Infinity: out of range)
        notes.push({ code: "not_a_number", key, given: raw, used: f.default });
        state[key] = f.default;
        continue;
      }
      const x = Number(raw);
      let used = f.type === "int" ? pyRound(x) : x;
      used = Math.min(f.max, Math.max(f.min, used));
      if (used !== x) notes.push({ code: f.type === "int" && x !== pyRound(x) ? "not_whole" : "out_of_range", key, given: raw, used, min: f.min, max: f.max });
      state[key] = used;
    } else if (f.type === "bool") {
      const ok = ["0", "1", "true", "false"].includes(raw);
      if (!ok) notes.push({ code: "not_a_bool", key, given: raw, used: f.default });
      state[key] = ok ? raw === "1" || raw === "true" : f.default;
    } else if (f.type === "specs") {
      const { specs, notes: problems } = parse(raw);
      for (const p of problems) notes.push({ ...p, key });
      state[key] = specs;
    } else if (f.type === "list") {
      state[key] = readList(raw, f, key, notes);
    } else if (f.type === "points") {
      state[key] = readPoints(raw, f, key, notes);
    } else if (f.choices && !f.choices.includes(raw)) {
      notes.push({ code: "not_a_choice", key, given: raw, used: f.default, choices: f.choices });
      state[key] = f.default;
    } else {
      state[key] = raw;
    }
  }
  // a range given the wrong way round is turned round; one of no width takes the defaults
  for (const [lo, hi] of ordered) {
    if (!(lo in fields) || !(hi in fields) || (q.get(lo) === null && q.get(hi) === null)) continue;
    const [a, b] = [state[lo], state[hi]];
    if (a < b) continue;
    const used = a > b ? [b, a] : [fields[lo].default, fields[hi].default];
    notes.push({ code: "not_ordered", keys: [lo, hi], given: [a, b], used });
    [state[lo], state[hi]] = used;
  }
  return { state, notes };
}

/** The corrections made to a hand-edited or outdated link (texts), in the page's #url-notice
 * until dismissed; returns the box (null when there is nothing to say). */
export function showLinkNotice(texts) {
  const box = document.getElementById("url-notice");
  if (!box || !texts.length) return null;
  const item = (text) => Object.assign(document.createElement("li"), { textContent: text });
  box.querySelector("ul").replaceChildren(...texts.slice(0, 8).map(item));
  if (texts.length > 8) box.querySelector("ul").append(item(`… and ${texts.length - 8} more.`));
  box.hidden = false;
  box.querySelector("button").onclick = () => (box.hidden = true);
  return box;
}

/** A comma-separated list: numbers (a sweep's values) or whole numbers in a range (widths)
 * with what is not a plain decimal left out, whole numbers rounded and moved into their range;
 * names (features) not among the choices left out (repeats too); at most `max` items. Each
 * change has a note; a list left empty by them takes the default. */
function readList(raw, f, key, notes) {
  let items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const given = items.length > 0;
  if (f.items === "number" || f.items === "int") {
    const bad = items.filter((v) => !isNumber(v));
    if (bad.length) notes.push({ code: "not_numbers", key, given: bad.slice(0, 8), dropped: bad.length });
    items = items.filter((v) => isNumber(v));
    if (f.items === "int") {
      items = items.map((v) => {
        const x = Number(v);
        const whole = Number.isFinite(x);
        const used = Math.min(f.item_max, Math.max(f.item_min, whole ? pyRound(x) : x));
        const code = whole && x !== pyRound(x) ? "not_whole" : "out_of_range";
        const seen = notes.some((n) => n.key === key && n.code === code && n.given === v);
        if (used !== x && !seen) notes.push({ code, key, given: v, used, min: f.item_min, max: f.item_max }); // (999,999: one note)
        return String(used);
      });
    }
  } else if (f.choices) {
    const bad = items.filter((v) => !f.choices.includes(v));
    if (bad.length) notes.push({ code: "not_choices", key, given: bad.slice(0, 8), dropped: bad.length, choices: f.choices });
    items = [...new Set(items.filter((v) => f.choices.includes(v)))];
  }
  if (items.length > f.max) {
    notes.push({ code: "too_many", key, max: f.max, dropped: items.length - f.max });
    items = items.slice(0, f.max);
  }
  return items.length || !given ? items : [...f.default];
}

/** Own points written x1,x2,label_x1,x2,label_…: a point that is not three plain decimals
 * within ±limit is left out, and so are those beyond the cap — each with a note. */
function readPoints(raw, f, key, notes) {
  const points = [];
  const parts = raw ? raw.split("_").filter(Boolean) : [];
  for (let i = 0; i < parts.length; i++) {
    if (points.length >= f.max) {
      notes.push({ code: "too_many", key, max: f.max, dropped: parts.length - i });
      break;
    }
    const nums = parts[i].split(",");
    if (nums.length !== 3 || !nums.every((n) => isNumber(n) && Math.abs(Number(n)) <= f.limit)) {
      notes.push({ code: "bad_point", key, index: i, given: parts[i], limit: f.limit });
      continue;
    }
    points.push(nums.map(Number));
  }
  return points;
}

/** Points as a link writes them. */
export function formatPoints(points) {
  return points.map((p) => p.map((v) => formatNumber(v)).join(",")).join("_");
}

/** Python's round(): halves go to the even neighbour, so the page rounds as the server does. */
function pyRound(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function text(value, field, catalogue) {
  if (field.type === "specs") return format(value, catalogue);
  if (field.type === "list") return value.join(",");
  if (field.type === "points") return formatPoints(value);
  if (field.type === "bool") return value ? "1" : "0";
  if (field.type === "number" || field.type === "int") return formatNumber(value);
  return String(value);
}

/** The query string for `state` (settings at their default are left out). */
export function buildQuery(state, fields, catalogue) {
  const parts = [];
  for (const [key, field] of Object.entries(fields)) {
    const v = state[key];
    if (v === undefined || v === null) continue;
    const shown = text(v, field, catalogue);
    if (shown === text(defaultOf(field), field, catalogue)) continue;
    parts.push(`${key}=${encodeValue(shown)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}
