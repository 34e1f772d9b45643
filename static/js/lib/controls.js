// Controls generated from declarations: a parameter's label, range, step and default come
// from the catalogue (or the training schema), never from this file.

import { formatNumber } from "./url.js";
import { swatch } from "./theme.js";

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
export { el };

/**
 * A labelled slider with a number box, its range, and a reset-to-default button.
 * opts: {label, min, max, step, value, default, help, log, onInput(v), onCommit(v), name}
 * With log: true the slider moves in log10 space (for learning rates).
 */
export function slider(opts) {
  const id = nextId("s");
  const { min, max, step, log } = opts;
  const toSlider = (v) => (log ? Math.log10(v) : v);
  const fromSlider = (t) => (log ? Number((10 ** t).toPrecision(3)) : Number(t));
  const range = el("input", {
    type: "range",
    id,
    min: toSlider(min),
    max: toSlider(max),
    step: log ? (Math.log10(max) - Math.log10(min)) / 200 : step,
    "aria-describedby": opts.help ? `${id}-help` : undefined,
    "data-param": opts.name,
  });
  // The box shows the value exactly (a leak of 1e-30 is not "0", 0.0005 is not "0.001"), so it
  // takes any number; the arrow keys step it as the slider does.
  const box = el("input", {
    type: "number",
    min,
    max,
    step: "any",
    "aria-label": `${opts.label} (exact value)`,
    class: "exact",
    "data-param-box": opts.name,
  });
  box.style.width = "5.5rem";
  const show = (v) => {
    range.value = String(toSlider(v));
    box.value = formatNumber(Number(v));
    range.setAttribute("aria-valuetext", formatNumber(v));
  };
  show(opts.value);
  const clamp = (v) => Math.min(max, Math.max(min, v));
  range.addEventListener("input", () => {
    const v = clamp(fromSlider(range.value));
    box.value = formatNumber(v);
    range.setAttribute("aria-valuetext", formatNumber(v));
    opts.onInput(v);
  });
  range.addEventListener("change", () => opts.onCommit && opts.onCommit(clamp(fromSlider(range.value))));
  const commitBox = () => {
    const v = Number(box.value);
    if (box.value.trim() === "" || !Number.isFinite(v)) return show(opts.value);
    const c = clamp(v);
    show(c);
    opts.onInput(c);
    if (opts.onCommit) opts.onCommit(c);
  };
  box.addEventListener("change", commitBox);
  const stepBox = (dir) => {
    const v = Number(box.value);
    if (!Number.isFinite(v)) return;
    // to the next point of the slider's grid above (or below): 0.0005 ↑ 0.001, 0.01 ↑ 0.011
    const k = (v - min) / step;
    const next = log ? Number((v * 10 ** (dir / 20)).toPrecision(3)) : Number((min + (dir > 0 ? Math.floor(k + 1e-9) + 1 : Math.ceil(k - 1e-9) - 1) * step).toPrecision(12));
    box.value = formatNumber(clamp(next));
    commitBox();
  };
  box.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
    e.preventDefault();
    stepBox(e.key === "ArrowUp" ? 1 : -1);
  });
  // (a focused number box also steps on the wheel; app.css hides its spin buttons)
  box.addEventListener("wheel", (e) => {
    if (document.activeElement !== box) return;
    e.preventDefault();
    stepBox(e.deltaY < 0 ? 1 : -1);
  }, { passive: false });
  const reset = el("button", {
    type: "button",
    text: `default ${formatNumber(opts.default)}`,
    title: `Reset ${opts.label} to its default, ${formatNumber(opts.default)}`,
    onclick: () => {
      show(opts.default);
      opts.onInput(opts.default);
      if (opts.onCommit) opts.onCommit(opts.default);
    },
  });
  const wrap = el(
    "div",
    { class: "slider" },
    el("label", { for: id, class: "name", text: opts.label, title: opts.help || undefined }),
    box,
    range,
    el("div", { class: "range" }, el("span", { text: formatNumber(min) }), reset, el("span", { text: formatNumber(max) })),
  );
  if (opts.help) wrap.append(el("small", { id: `${id}-help`, text: opts.help }));
  wrap.set = show;
  return wrap;
}

/** A labelled <select>. choices: [[value, label], ...]. */
export function select({ label, choices, value, onChange, help, name }) {
  const id = nextId("sel");
  const s = el("select", { id, "data-param": name });
  for (const [v, text] of choices) s.append(el("option", { value: v, text }));
  s.value = value;
  s.addEventListener("change", () => onChange(s.value));
  const wrap = el("div", { class: "field" }, el("label", { for: id, text: label }), s);
  if (help) wrap.append(el("small", { text: help }));
  wrap.set = (v) => (s.value = v);
  return wrap;
}

/** Controls for one activation parameter, straight from its catalogue declaration. */
export function paramControl(param, value, { onInput, onCommit }) {
  if (param.kind === "choice") {
    return select({
      label: param.label,
      name: param.id,
      choices: param.choices.map((c) => [c, c]),
      value,
      help: param.help,
      onChange: (v) => {
        onInput(v);
        onCommit(v);
      },
    });
  }
  return slider({ ...param, name: param.id, value: Number(value), onInput, onCommit });
}

/**
 * Rebuild part of a form without losing the keyboard's place: the focused control is found
 * again by what it is (its card, role, parameter, or name and value), and focused.
 */
export function keepingFocus(container, rebuild) {
  const a = document.activeElement;
  if (!a || a === document.body || !container.contains(a)) return rebuild();
  const card = a.closest("[data-index]");
  const attrs = ["data-role", "data-param", "data-param-box"].filter((k) => a.hasAttribute(k));
  let selector = attrs.map((k) => `[${k}="${CSS.escape(a.getAttribute(k))}"]`).join("");
  if (!selector && a.name) selector = `[name="${CSS.escape(a.name)}"]${a.type === "radio" ? `[value="${CSS.escape(a.value)}"]` : ""}`;
  if (!selector && card) selector = '[data-role="activation"]'; // e.g. a removed card's × button
  if (!selector && a.id) selector = `#${CSS.escape(a.id)}`;
  const result = rebuild();
  if (!selector) return result;
  let scope = container;
  if (card) {
    const cards = container.querySelectorAll("[data-index]");
    scope = cards[Math.min(Number(card.dataset.index), cards.length - 1)] || container;
  }
  const target = scope.querySelector(selector) || container.querySelector(selector);
  if (target) target.focus();
  return result;
}

/**
 * A card choosing one activation and its parameters.
 * onChange(spec, committed) fires on every change; committed is true when a drag ends.
 */
export function activationCard(catalogue, spec, index, { onChange, onRemove, allowed }) {
  const card = el("div", { class: "curve-card", "data-index": index });
  card.style.setProperty("--swatch", swatch(index));
  const id = nextId("act");
  const choose = el("select", { id, "aria-label": `Activation ${index + 1}`, "data-role": "activation" });
  for (const a of catalogue.list) {
    if (allowed && !allowed(a)) continue;
    choose.append(el("option", { value: a.id, text: a.name }));
  }
  choose.value = spec.name;
  const params = el("div", { class: "params" });
  const state = { name: spec.name, params: { ...spec.params } };

  const emit = (committed) => onChange({ name: state.name, params: { ...state.params } }, committed);

  function buildParams() {
    params.replaceChildren();
    const act = catalogue.byId[state.name];
    for (const p of act.params) {
      const v = state.params[p.id] ?? p.default;
      params.append(
        paramControl(p, v, {
          onInput: (x) => {
            state.params[p.id] = x;
            emit(false);
          },
          onCommit: (x) => {
            state.params[p.id] = x;
            emit(true);
          },
        }),
      );
    }
  }
  choose.addEventListener("change", () => {
    state.name = choose.value;
    state.params = {};
    buildParams();
    emit(true);
  });
  const head = el("header", {}, choose);
  if (onRemove) {
    head.append(el("button", { type: "button", class: "remove", text: "×", title: "Remove this curve", "aria-label": `Remove activation ${index + 1}`, onclick: onRemove }));
  }
  card.append(head, params);
  buildParams();
  return card;
}
