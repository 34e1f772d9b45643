// Controls generated from declarations: a parameter's label, range, step and default come
// from the catalogue (or the training schema), never from this file.

import { getJSON } from "./api.js";
import { actOf, compileFormula, describeFormulas, formulaInfo, formulaUrl, isFormula } from "./formula.js";
import { brokenOrder } from "./spec.js";
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
 * opts: {label, min, max, step, value, default, help, log, onInput(v), onCommit(v), name, of}
 * (of: whose parameter it is, e.g. "Leaky ReLU": the reset button's name says so).
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
  let current = opts.value; // (what an emptied or unreadable box goes back to)
  const show = (v) => {
    current = Number(v);
    range.value = String(toSlider(v));
    box.value = formatNumber(Number(v));
    range.setAttribute("aria-valuetext", formatNumber(v));
  };
  show(opts.value);
  const clamp = (v) => Math.min(max, Math.max(min, v));
  // a typed value out of range is clamped, and said so until the next change (as a link's is)
  const clamped = el("small", { class: "clamped", role: "status", hidden: true });
  const sayClamped = (typed, used) => {
    clamped.hidden = typed === used;
    clamped.textContent = typed === used ? "" : `${formatNumber(typed)} is outside ${formatNumber(min)} to ${formatNumber(max)}: using ${formatNumber(used)}.`;
  };
  const unsay = () => {
    if (!clamped.hidden) sayClamped(0, 0); // (a slider drag writes nothing here)
  };
  range.addEventListener("input", () => {
    unsay();
    const v = clamp(fromSlider(range.value));
    current = v;
    box.value = formatNumber(v);
    range.setAttribute("aria-valuetext", formatNumber(v));
    opts.onInput(v);
  });
  range.addEventListener("change", () => opts.onCommit && opts.onCommit(clamp(fromSlider(range.value))));
  const commitBox = () => {
    const v = Number(box.value);
    if (box.value.trim() === "" || !Number.isFinite(v)) return show(current);
    const c = clamp(v);
    sayClamped(v, c);
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
  // named with its parameter ("default 0.01" alone says not what it resets), its visible text in
  // it; the name is the tooltip's (an aria-label beside the same title was read twice: as the
  // name, then as the description)
  const resetName = `Reset ${opts.of ? `${opts.of}'s ${opts.label}` : opts.label} to its default ${formatNumber(opts.default)}`;
  const reset = el("button", {
    type: "button",
    title: resetName,
    onclick: () => {
      unsay();
      show(opts.default);
      opts.onInput(opts.default);
      if (opts.onCommit) opts.onCommit(opts.default);
    },
  }, el("span", { "aria-hidden": "true", text: `default ${formatNumber(opts.default)}` }));
  const wrap = el(
    "div",
    { class: "slider" },
    el("label", { for: id, class: "name", text: opts.label, title: opts.help || undefined }),
    box,
    range,
    el("div", { class: "range" }, el("span", { text: formatNumber(min) }), reset, el("span", { text: formatNumber(max) })),
  );
  wrap.append(clamped);
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

/** Controls for one activation parameter, straight from its catalogue declaration; ``of``:
 * the activation's name. */
export function paramControl(param, value, { onInput, onCommit, of }) {
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
  return slider({ ...param, name: param.id, value: Number(value), onInput, onCommit, of });
}

/**
 * Rebuild part of a form without losing the keyboard's place: the focused control is found
 * again by what it is (its card, role, parameter, or name and value), and focused.
 */
export function keepingFocus(container, rebuild) {
  const a = document.activeElement;
  if (!a || a === document.body || !container.contains(a)) return rebuild();
  const card = a.closest("[data-index]");
  const attrs = ["data-role", "data-param", "data-param-box", "data-range"].filter((k) => a.hasAttribute(k));
  // a range box being typed in (its own edit not sent yet) keeps what was typed
  const typing = a.matches("input[data-range]") ? a.value : null;
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
  if (target && typing !== null) target.value = typing;
  return result;
}

const OWN = "__formula__"; // the menu entry "Your own formula…"

/** Where the server says a typed formula is wrong: the text again, the place underlined
 * (err.position to err.end, from the API), and the message. */
export function showFormulaError(input, box, text, err) {
  input.setAttribute("aria-invalid", "true");
  const parts = [];
  if (err.position !== null && err.position !== undefined) {
    const a = Math.min(err.position, text.length);
    const b = Math.max(a + 1, Math.min(err.end ?? a + 1, text.length + 1));
    parts.push(el("code", { class: "formula-echo" }, text.slice(0, a), el("mark", { text: text.slice(a, b) || " " }), text.slice(b)));
  }
  parts.push(el("span", { text: err.message }));
  box.replaceChildren(...parts);
  box.hidden = false;
}

export function clearFormulaError(input, box) {
  input.removeAttribute("aria-invalid");
  box.hidden = true;
  box.replaceChildren();
}

/**
 * A card choosing one activation and its parameters, or a typed formula ("Your own
 * formula…": a text field the server checks, sliders for the parameters it finds, each
 * range editable, the derivative, and Copy as PyTorch).
 * onChange(spec, committed) fires on every change; committed is true when a drag ends.
 */
export function activationCard(catalogue, spec, index, { onChange, onRemove, allowed }) {
  const card = el("div", { class: "curve-card", "data-index": index, role: "group" });
  card.style.setProperty("--swatch", swatch(index));
  const id = nextId("act");
  const choose = el("select", { id, "aria-label": `Activation ${index + 1}`, "data-role": "activation" });
  for (const a of catalogue.list) {
    if (allowed && !allowed(a)) continue;
    choose.append(el("option", { value: a.id, text: a.name }));
  }
  choose.append(el("option", { value: OWN, text: "Your own formula…" }));
  const own = isFormula(spec);
  // a link's formula the server refused (explorer.js): in the editor with its error, to mend,
  // while the plots show the spec's activation
  let draft = spec.draft || null;
  choose.value = own || draft ? OWN : spec.name;
  const params = el("div", { class: "params" });
  const editor = el("div", { class: "formula-editor" });
  let state = own ? { formula: spec.formula, params: { ...spec.params }, ranges: { ...(spec.ranges || {}) } } : { name: spec.name, params: { ...spec.params } };

  const current = () => (isFormula(state) ? { formula: state.formula, params: { ...state.params }, ranges: { ...state.ranges } } : { name: state.name, params: { ...state.params } });
  const emit = (committed) => onChange(current(), committed);
  // two parameters out of their declared order (hard tanh's bounds, RReLU's slopes): said here,
  // and nothing sent — the plot keeps the last values that worked
  const orderProblem = el("p", { class: "param-problem", role: "status", hidden: true });
  const inOrder = () => {
    const act = actOf(state, catalogue);
    const values = Object.fromEntries(act.params.map((p) => [p.id, state.params[p.id] ?? p.default]));
    const o = isFormula(state) ? null : brokenOrder(act, values);
    orderProblem.hidden = !o;
    for (const input of params.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    if (!o) return true;
    const label = (id) => (act.params.find((p) => p.id === id) || {}).label || id;
    const short = (v) => formatNumber(Number(Number(v).toPrecision(4))); // RReLU's default u is 1/3
    orderProblem.textContent = `${label(o.low)} = ${short(values[o.low])} must be ${o.strict ? "less than" : "at most"} ${label(o.high)} = ${short(values[o.high])}: the plot keeps the last values that worked.`;
    for (const id of [o.low, o.high]) for (const input of params.querySelectorAll(`input[data-param="${CSS.escape(id)}"], input[data-param-box="${CSS.escape(id)}"]`)) input.setAttribute("aria-invalid", "true");
    return false;
  };

  function buildParams() {
    params.replaceChildren();
    const act = actOf(state, catalogue);
    const of = isFormula(state) ? "your own formula" : act.name;
    for (const p of act.params) {
      const v = state.params[p.id] ?? p.default;
      const control = paramControl(p, v, {
        of,
        onInput: (x) => {
          state.params[p.id] = x;
          if (inOrder()) emit(false);
        },
        onCommit: (x) => {
          state.params[p.id] = x;
          if (inOrder()) emit(true);
        },
      });
      if (isFormula(state)) rangeEditor(p, control);
      params.append(control);
    }
    inOrder();
  }

  /** A formula parameter's slider gets its min, default and max as number boxes, in the row
   * under the slider where a built-in's range is written. */
  function rangeEditor(p, control) {
    const box = (label, value) => el("input", { type: "number", step: "any", value: formatNumber(value), "aria-label": `${p.id}: ${label} of the range`, "data-range": `${p.id}.${label}` });
    const lo = box("min", p.min);
    const d = box("default", p.default);
    const hi = box("max", p.max);
    const row = control.querySelector(".range");
    const reset = row.querySelector("button");
    reset.firstChild.textContent = "↺";
    row.replaceChildren(lo, el("span", { class: "range-default" }, "default ", d, reset), hi);
    row.classList.add("range-edit");
    let edits = 0; // an edit's checks are awaited: a later edit supersedes an earlier one still waiting
    const change = async () => {
      const mine = ++edits;
      const [a, b, c] = [lo, d, hi].map((i) => Number(i.value));
      const ok = [a, b, c].every(Number.isFinite) && a < c && a <= b && b <= c;
      lo.setCustomValidity(ok ? "" : "Need min < max, with the default between them.");
      if (!ok) return lo.reportValidity();
      const next = { ...state, ranges: { ...state.ranges, [p.id]: { min: a, max: c, default: b } } };
      if (p.id in next.params) next.params = { ...next.params, [p.id]: Math.min(c, Math.max(a, next.params[p.id])) };
      const got = await compileFormula(next.formula, catalogue, next);
      if (mine !== edits) return;
      if (!got.ok) {
        lo.setCustomValidity(got.error.message);
        return lo.reportValidity();
      }
      state = next;
      await describeFormulas([state], catalogue);
      if (mine !== edits) return;
      keepingFocus(params, buildParams);
      emit(true);
    };
    for (const i of [lo, d, hi]) i.addEventListener("change", change);
  }

  // ---- the formula editor
  const fieldId = nextId("fx");
  const input = el("input", { type: "text", id: fieldId, class: "formula-input", spellcheck: "false", autocomplete: "off", autocapitalize: "off", "data-role": "formula",
    "aria-describedby": `${fieldId}-error`, placeholder: catalogue.formula.example });
  const error = el("div", { class: "formula-error", id: `${fieldId}-error`, role: "status", hidden: true });
  const derivative = el("div", { class: "formula dformula", "aria-label": "its derivative" });
  const torchBtn = el("button", { type: "button", class: "torch-copy", text: "Copy as PyTorch", title: "A torch.nn.Module whose forward is this formula, at these parameter values" });
  const torchOut = el("details", { class: "torch-snippet", hidden: true }, el("summary", { text: "PyTorch" }), el("pre", {}, el("code", {})));
  const note = el("small", { class: "formula-note", role: "status" });
  editor.append(
    el("label", { for: fieldId, class: "name", text: "f(x) =" }),
    input,
    error,
    derivative,
    el("div", { class: "formula-actions" }, torchBtn, note),
    torchOut,
    el("details", { class: "formula-help" }, el("summary", { text: "What can I type?" }),
      el("p", { text: `A formula of x. Functions: ${catalogue.formula.functions.join(", ")}; operators + − * / ^ (constant powers); comparisons and and/or/not inside where(condition, then, otherwise). Other names (a, b, beta, …) are parameters: each gets a slider whose range you set.` })),
  );

  const showError = (text, err) => {
    showFormulaError(input, error, text, err);
    error.append(el("small", { text: isFormula(state) ? "The plots show your last formula that worked." : `The plots show ${actOf(state, catalogue).name} until it reads.` }));
  };
  const clearError = () => clearFormulaError(input, error);

  function showDerivative() {
    const info = formulaInfo(state, catalogue);
    if (info && info.dformula.mathml) derivative.innerHTML = info.dformula.mathml; // MathML generated by the server from its own LaTeX
    else derivative.textContent = info ? `f′(x) = ${info.dformula.text}` : ""; // too long to typeset
    derivative.title = info ? info.dformula.text : "";
    // wider than the card (MathML does not wrap): as text, which does
    requestAnimationFrame(() => {
      if (info && derivative.querySelector("math") && derivative.scrollWidth > derivative.clientWidth + 1) {
        derivative.replaceChildren(el("code", { class: "formula-text", text: `f′(x) = ${info.dformula.text}` }));
      }
    });
  }

  let typing = null;
  let asked = 0;
  async function check(committed) {
    const text = input.value;
    const mine = ++asked;
    if (!text.trim()) return showError(text, { message: "Type a formula of x, e.g. " + catalogue.formula.example, field: "formula" });
    const first = await compileFormula(text, catalogue).catch((err) => ({ ok: false, error: { message: err.message } }));
    if (mine !== asked) return; // a newer keystroke is being checked
    if (!first.ok) return showError(text, first.error);
    const names = first.info.params.map((p) => p.name);
    const keep = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => names.includes(k)));
    const next = { formula: first.info.text, params: keep(state.params || {}), ranges: keep(state.ranges || {}) };
    await describeFormulas([next], catalogue).catch(() => {});
    if (mine !== asked) return;
    clearError();
    draft = null;
    torchBtn.hidden = false;
    const changed = next.formula !== state.formula || JSON.stringify(Object.keys(next.params)) !== JSON.stringify(Object.keys(state.params));
    state = next;
    showDerivative();
    if (changed) keepingFocus(params, buildParams);
    emit(committed);
  }
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => check(false), 250);
  });
  input.addEventListener("change", () => {
    clearTimeout(typing);
    check(true);
  });
  torchBtn.addEventListener("click", async () => {
    note.textContent = "";
    try {
      const info = await getJSON(formulaUrl(state));
      torchOut.querySelector("code").textContent = info.torch_source;
      torchOut.hidden = false;
      try {
        await navigator.clipboard.writeText(info.torch_source);
        note.textContent = "Copied.";
      } catch {
        torchOut.open = true;
        note.textContent = "Select the code below to copy it.";
      }
    } catch (err) {
      note.textContent = `Could not make the snippet: ${err.message}`;
    }
  });

  function showMode() {
    const formula = isFormula(state) || draft !== null;
    editor.hidden = !formula;
    torchBtn.hidden = !isFormula(state);
    card.classList.toggle("own-formula", formula);
    // a group named for its activation: its parameters' controls ("form", "leak") are heard as GELU's, Leaky ReLU's
    card.setAttribute("aria-label", `Activation ${index + 1}: ${formula ? "your own formula" : choose.selectedOptions[0].text}`);
    if (draft) {
      input.value = draft.text;
      showError(draft.text, draft.error);
      derivative.textContent = "";
    } else if (formula) {
      input.value = state.formula;
      clearError();
      showDerivative();
    }
  }

  choose.addEventListener("change", async () => {
    draft = null;
    if (choose.value !== OWN) {
      state = { name: choose.value, params: {} };
      showMode();
      buildParams();
      emit(true);
      return;
    }
    state = { formula: catalogue.formula.example, params: {}, ranges: {} };
    await compileFormula(state.formula, catalogue);
    await describeFormulas([state], catalogue);
    showMode();
    buildParams();
    emit(true);
  });
  const head = el("header", {}, choose);
  if (onRemove) {
    head.append(el("button", { type: "button", class: "remove", text: "×", title: "Remove this curve", "aria-label": `Remove activation ${index + 1}`, onclick: onRemove }));
  }
  card.append(head, editor, params, orderProblem);
  showMode();
  buildParams();
  if (isFormula(state) && !formulaInfo(state, catalogue)) {
    describeFormulas([state], catalogue).then(() => {
      showDerivative();
      buildParams();
    }, () => {});
  }
  return card;
}
