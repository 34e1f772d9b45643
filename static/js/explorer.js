// The explorer page: tabs, theme, URL state (copy link, back/forward) and the two views.

import { loadCatalogue, loadMeta } from "./lib/api.js";
import { buildQuery, defaultOf, readLink } from "./lib/url.js";
import { noteText, sanitise } from "./lib/spec.js";
import { describeFormulas, prepareFormulas } from "./lib/formula.js";
import { applyTheme, preferredTheme } from "./lib/theme.js";
import { FunctionView } from "./views/function-view.js";
import { NetworkView } from "./views/network-view.js";
import { TheoryView } from "./views/theory-view.js";
import { openEmbedDialog } from "./lib/embed-dialog.js";
import { announceState, onApplyState } from "./lib/page-state.js";

window.__actlab = { draws: [], lastInput: 0 };

const toast = (text) => {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 1800);
};

async function main() {
  const [catalogue, meta] = await Promise.all([loadCatalogue(), loadMeta()]);
  const SCHEMA = meta.state;
  // a link read by the links' one rule (app/api/meta.py), activation lists checked against the
  // catalogue (typed formulas by the server); the URL's theme, else the one this browser last chose
  const readWithTheme = async () => {
    const { state: s, notes } = readLink(SCHEMA, location.search, [...meta.embed_keys, ...meta.page_keys]);
    await prepareFormulas([...s.fn, ...s.act, ...s.th], catalogue);
    for (const key of ["fn", "act", "th"]) {
      const checked = sanitise(s[key], catalogue, SCHEMA[key].max);
      s[key] = checked.specs;
      notes.push(...checked.notes);
      if (!s[key].length) s[key] = defaultOf(SCHEMA[key]);
    }
    await describeFormulas([...s.fn, ...s.act, ...s.th], catalogue);
    if (!new URLSearchParams(location.search).has("theme")) s.theme = preferredTheme();
    return { s, notes: notes.map((n) => noteText(n, catalogue)) };
  };
  const first = await readWithTheme();
  let state = first.s;
  const notes = first.notes;
  applyTheme(state.theme);
  let midGesture = false; // one history entry per slider drag, not per input event

  const writeUrl = (committed) => {
    const url = `${location.pathname}${buildQuery(state, SCHEMA, catalogue)}`;
    if (url === `${location.pathname}${location.search}`) {
      midGesture = !committed && midGesture;
      return;
    }
    if (!midGesture) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    midGesture = !committed;
  };
  const onState = (patch, committed) => {
    Object.assign(state, patch);
    writeUrl(committed);
    announceState({ draft: !committed && state.view === "network" }); // the network view trains when a change is committed
  };
  const embed = (panel, view) => openEmbedDialog(panel, view, state, SCHEMA, catalogue);

  const fnView = new FunctionView({ root: document.getElementById("view-function"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, fnView) });
  const netView = new NetworkView({ root: document.getElementById("view-network"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, netView) });
  // the Theory view's point is the network's custom initialisation: it sets it, and may switch to it
  const onNetwork = (patch, { committed, train = false }) => {
    onState(patch, committed);
    if (!committed) return;
    netView.apply(state);
    if (train) {
      onState({ view: "network" }, true);
      showView("network");
    }
  };
  const thView = new TheoryView({ root: document.getElementById("view-theory"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, thView), onNetwork });

  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const showView = (name) => {
    for (const t of tabs) {
      const on = t.dataset.view === name;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    document.querySelectorAll("[data-info]").forEach((d) => (d.hidden = d.dataset.info !== name));
    if (name === "network") netView.shown();
    else netView.visible = false;
    if (name === "theory") {
      thView.apply(state); // what the other views changed (the init, its variances)
      thView.shown();
    } else thView.visible = false;
    window.dispatchEvent(new Event("resize")); // let Plotly size plots that were hidden
  };
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => {
      onState({ view: t.dataset.view }, true);
      showView(t.dataset.view);
    });
    t.addEventListener("keydown", (e) => {
      const k = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!k) return;
      const next = tabs[(i + k + tabs.length) % tabs.length];
      next.focus();
      next.click();
    });
  });
  showView(state.view);

  const theme = document.getElementById("theme");
  theme.value = state.theme;
  theme.addEventListener("change", () => {
    applyTheme(theme.value, { remember: true });
    onState({ theme: theme.value }, true);
    fnView.redraw();
    netView.restyle();
    thView.restyle();
  });

  document.getElementById("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      toast("Link copied");
    } catch {
      window.prompt("Copy this link:", location.href);
    }
  });

  const info = document.getElementById("info-toggle");
  info.addEventListener("click", () => {
    const panel = document.getElementById("info-panel");
    panel.hidden = !panel.hidden;
    info.setAttribute("aria-expanded", String(!panel.hidden));
  });
  document.addEventListener("keydown", (e) => {
    const panel = document.getElementById("info-panel");
    if (e.key !== "Escape" || panel.hidden || document.querySelector("dialog[open]")) return;
    panel.hidden = true; // Esc closes the help, and the keyboard goes back to its button
    info.setAttribute("aria-expanded", "false");
    info.focus();
  });

  const fromAddress = async () => {
    state = (await readWithTheme()).s;
    midGesture = false;
    applyTheme(state.theme);
    theme.value = state.theme;
    fnView.apply(state);
    netView.apply(state);
    showView(state.view); // (the Theory view takes the state when shown)
    announceState();
  };
  window.addEventListener("popstate", fromAddress);
  if (notes.length) {
    showNotice(notes);
    history.replaceState(null, "", `${location.pathname}${buildQuery(state, SCHEMA, catalogue)}`); // the link now says what is shown
  }
  announceState();
  // a live class shows the teacher's view here: the address it would have, without a history entry
  onApplyState((query) => {
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
    fromAddress();
  });
  document.body.dataset.ready = "1";
}

/** The corrections made to a hand-edited link, until dismissed. */
function showNotice(notes) {
  const box = document.getElementById("url-notice");
  const list = box.querySelector("ul");
  list.replaceChildren(...notes.slice(0, 8).map((n) => Object.assign(document.createElement("li"), { textContent: n })));
  if (notes.length > 8) list.append(Object.assign(document.createElement("li"), { textContent: `… and ${notes.length - 8} more.` }));
  box.hidden = false;
  box.querySelector("button").onclick = () => (box.hidden = true);
}

main().catch((err) => {
  console.error(err);
  const main = document.getElementById("main");
  main.prepend(Object.assign(document.createElement("p"), { className: "error-box", textContent: `The explorer failed to start: ${err.message}` }));
});
