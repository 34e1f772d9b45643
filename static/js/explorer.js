// The explorer page: tabs, theme, URL state (copy link, back/forward) and the views. The
// function view (the default tab) loads with the page; the network and theory views' modules
// are imported when their tab is first shown.

import { loadCatalogue, loadMeta } from "./lib/api.js";
import { buildQuery, defaultOf, readLink, showLinkNotice } from "./lib/url.js";
import { noteText, sanitise } from "./lib/spec.js";
import { describeFormulas, isFormula, prepareFormulas, settleSweep } from "./lib/formula.js";
import { applyTheme, preferredTheme } from "./lib/theme.js";
import { FunctionView } from "./views/function-view.js";
import { openEmbedDialog } from "./lib/embed-dialog.js";
import { announceState, onApplyState } from "./lib/page-state.js";
import { followTopBar } from "./lib/topbar.js";

followTopBar();

window.__actlab = { draws: [], lastInput: 0 };

/** A view whose module is imported on first use: `load()` builds it (once) with `make`;
 * `view` is null until then. */
function lazyView(importer, make) {
  let loading = null;
  const lazy = {
    view: null,
    // a failed import is forgotten, so that choosing the tab again tries again
    load: () => (loading ??= importer().then((module) => (lazy.view = make(module)), (err) => { loading = null; throw err; })),
  };
  return lazy;
}

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
  const VIEW_OF = { fn: "the Function view", act: "the Network view", th: "the Theory view" };
  const readWithTheme = async () => {
    const { state: s, notes } = readLink(SCHEMA, location.search, [...meta.embed_keys, ...meta.page_keys], meta.ordered);
    await prepareFormulas([...s.fn, ...s.act, ...s.th], catalogue);
    for (const key of ["fn", "act", "th"]) {
      const checked = sanitise(s[key], catalogue, SCHEMA[key].max);
      // a list left empty by a formula the server refused: its text in the view's first card, to
      // mend (the plots show the default until it reads)
      const refused = s[key].find((f) => isFormula(f) && catalogue.formulas.get(f.formula)?.error);
      s[key] = checked.specs;
      notes.push(...checked.notes);
      if (!s[key].length) s[key] = defaultOf(SCHEMA[key]);
      if (!checked.specs.length && refused) {
        s[key][0] = { ...s[key][0], draft: { text: refused.formula, error: catalogue.formulas.get(refused.formula).error } };
        checked.notes.find((n) => n.code === "formula_error" && n.formula === refused.formula.slice(0, 60)).mend = VIEW_OF[key];
      }
    }
    await describeFormulas([...s.fn, ...s.act, ...s.th], catalogue);
    settleSweep(s, catalogue, SCHEMA, notes);
    if (!new URLSearchParams(location.search).has("theme")) s.theme = preferredTheme();
    return { s, notes: notes.map((n) => noteText(n, catalogue)) };
  };
  const first = await readWithTheme();
  let state = first.s;
  const notes = first.notes;
  applyTheme(state.theme);
  let midGesture = false; // one history entry per slider drag, not per input event
  // ... and per run of key presses on one control (arrows, Page Up/Down, Home/End, as a drag):
  // `stepping` is the control a key press is changing right now (its input and change events
  // come before the next task), `keyRun` the control whose key run made the current entry
  const STEP_KEYS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageUp", "PageDown", "Home", "End"]);
  let stepping = null;
  let keyRun = null;
  document.addEventListener("keydown", (e) => {
    if (!STEP_KEYS.has(e.key) || !e.target.matches || !e.target.matches('input[type="range"], input[type="number"]')) return;
    stepping = e.target;
    setTimeout(() => (stepping = null), 0);
  }, true);
  document.addEventListener("focusout", (e) => {
    if (e.target === keyRun) keyRun = null; // back to it later: a new entry
  }, true);

  const writeUrl = (committed) => {
    const url = `${location.pathname}${buildQuery(state, SCHEMA, catalogue)}`;
    if (url === `${location.pathname}${location.search}`) {
      midGesture = !committed && midGesture;
      return;
    }
    const sameRun = stepping !== null && stepping === keyRun;
    if (!midGesture && !sameRun) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    midGesture = !committed;
    keyRun = stepping;
  };
  const onState = (patch, committed) => {
    Object.assign(state, patch);
    writeUrl(committed);
    announceState({ draft: !committed && state.view === "network" }); // the network view trains when a change is committed
  };
  const embed = (panel, view) => openEmbedDialog(panel, view, state, SCHEMA, catalogue);

  const net = lazyView(
    () => import("./views/network-view.js"),
    ({ NetworkView }) => {
      const view = new NetworkView({ root: document.getElementById("view-network"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, view) });
      return view;
    },
  );
  // the Theory view's point is the network's custom initialisation: it sets it, and may switch to it;
  // the Function view's "train a network with this" sets the network's activation and switches
  const onNetwork = (patch, { committed, train = false }) => {
    const settings = typeof patch === "function" ? patch(state) : patch;
    // (one history entry: Back returns to the view as it was)
    onState(train && committed ? { ...settings, view: "network" } : settings, committed);
    if (!committed) return;
    if (net.view) net.view.apply(state);
    if (train) show("network");
  };
  const fnView = new FunctionView({ root: document.getElementById("view-function"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, fnView), onNetwork });
  const th = lazyView(
    () => import("./views/theory-view.js"),
    ({ TheoryView }) => {
      const view = new TheoryView({ root: document.getElementById("view-theory"), catalogue, meta, state, onState, onEmbed: (p) => embed(p, view), onNetwork });
      return view;
    },
  );

  const tabs = [...document.querySelectorAll('[role="tab"]')];
  let current = null;
  /** Select a tab and show its view (importing it the first time); resolves once it is shown. */
  const showView = async (name) => {
    current = name;
    const focused = document.activeElement;
    for (const t of tabs) {
      const on = t.dataset.view === name;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    // a button that leads to another view ("Train a network with this →") is hidden with its
    // view: the keyboard goes on from that view's tab, not from the page's start
    if (focused && focused !== document.body && focused.closest(".view[hidden]")) tabs.find((t) => t.dataset.view === name).focus();
    document.querySelectorAll("[data-info]").forEach((d) => (d.hidden = d.dataset.info !== name));
    if (net.view && name !== "network") net.view.visible = false;
    if (th.view && name !== "theory") th.view.visible = false;
    const lazy = { network: net, theory: th }[name];
    if (lazy) {
      const fresh = !lazy.view;
      const view = await lazy.load();
      const section = document.getElementById(`view-${name}`);
      section.querySelector(":scope > .error-box")?.remove(); // an earlier failure
      delete section.dataset.failed;
      if (current !== name) return; // another tab was chosen meanwhile
      if (name === "theory" && !fresh) view.apply(state); // what the other views changed (the init, its variances)
      view.shown();
    }
    window.dispatchEvent(new Event("resize")); // let Plotly size plots that were hidden
  };
  const show = (name) => showView(name).catch((err) => viewFailed(name, err));
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => {
      onState({ view: t.dataset.view }, true);
      show(t.dataset.view);
    });
    t.addEventListener("keydown", (e) => {
      const k = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      const to = { Home: 0, End: tabs.length - 1 }[e.key];
      if (!k && to === undefined) return;
      e.preventDefault(); // (Home and End would scroll the page)
      const next = tabs[to ?? (i + k + tabs.length) % tabs.length];
      next.focus();
      next.click();
    });
  });
  await show(state.view);

  const theme = document.getElementById("theme");
  theme.value = state.theme;
  theme.addEventListener("change", () => {
    applyTheme(theme.value, { remember: true });
    onState({ theme: theme.value }, true);
    fnView.redraw();
    if (net.view) net.view.restyle();
    if (th.view) th.view.restyle();
  });

  document.getElementById("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      toast("Link copied");
    } catch {
      window.prompt("Copy this link:", location.href);
    }
  });

  // "Skip to the plots": the shown view's plots (#main, its fallback, starts with its controls)
  document.querySelector("a.skip").addEventListener("click", (e) => {
    const plots = document.querySelector(".view:not([hidden]) > .content");
    if (!plots) return;
    e.preventDefault();
    plots.tabIndex = -1;
    plots.focus();
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
    keyRun = null;
    applyTheme(state.theme);
    theme.value = state.theme;
    fnView.apply(state);
    if (net.view) net.view.apply(state);
    await show(state.view); // (the Theory view takes the state when shown)
    announceState();
  };
  window.addEventListener("popstate", fromAddress);
  if (notes.length) {
    showLinkNotice(notes);
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


/** A view whose code could not be loaded says so in its own place (choosing its tab again retries). */
function viewFailed(name, err) {
  console.error(err);
  const section = document.getElementById(`view-${name}`);
  section.querySelector(":scope > .error-box")?.remove();
  section.dataset.failed = "1"; // its (empty) controls are hidden: only the message shows
  const label = document.getElementById(`tab-${name}`)?.textContent ?? name;
  section.prepend(Object.assign(document.createElement("p"), {
    className: "error-box", role: "alert",
    textContent: `The ${label} view could not be loaded. Check the connection and choose its tab again. (${err.message})`,
  }));
}

function failed(err) {
  console.error(err);
  const main = document.getElementById("main");
  main.prepend(Object.assign(document.createElement("p"), { className: "error-box", textContent: `The explorer failed to start: ${err.message}` }));
}

main().catch(failed);
