// An embedded plot: reads the explorer's query string, draws one plot that fills the frame,
// optionally shows that plot's sliders, and tells the host page its height (postMessage).
// What the plot's kind needs is in its own module (embed/*.js, named by the page's
// data-module), imported alongside the first requests: an embed loads nothing else.

import { Latest, loadCatalogue, loadMeta } from "./lib/api.js";
import { autorangeUnfixed, fitToWidth, touchScreen } from "./lib/figures.js";
import { plotConfig } from "./lib/panel.js";
import { describePlot, dropPendingResize, plotly } from "./lib/plotly.js";
import { noteText, sanitise } from "./lib/spec.js";
import { applyTheme } from "./lib/theme.js";
import { buildQuery, readLink } from "./lib/url.js";

const root = document.querySelector(".embed-root");
const plot = root.querySelector(".embed-plot");
const plotTitle = plot.getAttribute("aria-label"); // (the page's title of the plot: named with what it draws once drawn)
const status = root.querySelector(".embed-status");
const panelName = root.dataset.panel;
const kind = root.dataset.kind;
const latest = new Latest();
const form = root.querySelector(".embed-controls");
const foot = root.querySelector(".embed-foot");
const openLink = foot.querySelector("a");
// the least and the most the plot asks for when the host sizes the frame to the content (a frame
// of fixed height gets a plot that fills what it leaves: app.css, .embed-plot)
const PLOT_MIN_PX = 280;
const PLOT_MAX_PX = 460;

/** The height the content needs: everything at its own height with the controls inline and the
 * caption whole (as a frame that tall shows them, not as a short frame's classes hide and clamp
 * them), the plot at its preferred height (60 % of the width, from PLOT_MIN_PX up to PLOT_MAX_PX,
 * plus its legend; or the height a phone layout sets) — not the frame's height, which the plot
 * stretches to fill. A host that sizes the frame to this makes room for the controls inline. */
function contentHeight() {
  return unclamped(() => {
    const style = getComputedStyle(root);
    const gap = parseFloat(style.rowGap) || 0;
    const shown = [...root.children].filter((c) => !c.hidden && getComputedStyle(c).display !== "none");
    let h = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + gap * Math.max(0, shown.length - 1);
    const preferred = Math.min(PLOT_MAX_PX, Math.max(PLOT_MIN_PX, 0.6 * root.clientWidth));
    // a legend above the plot (a narrow frame stacks its entries) comes on top of that
    const legend = plot.querySelector(".legend");
    const legendPx = legend ? legend.getBoundingClientRect().height : 0;
    const fixed = parseFloat(plot.dataset.figureHeight); // a phone layout's own height, legend included
    for (const c of shown) {
      if (c === plot) h += fixed || preferred + legendPx;
      else if (c.classList.contains("embed-run")) h += preferred;
      else h += c.getBoundingClientRect().height;
    }
    return Math.ceil(h);
  });
}

let lastHeight = 0;
function postHeight() {
  if (window.parent === window) return;
  const height = contentHeight();
  if (Math.abs(height - lastHeight) < 2) return;
  lastHeight = height;
  document.body.dataset.contentHeight = String(height);
  window.parent.postMessage({ type: "actlab:embed-height", height, src: location.href }, "*");
}

/** The corrections made to the link (an unknown activation, a value out of range), as the explorer lists them. */
function showNotes(notes, catalogue) {
  if (!notes.length) return;
  const box = root.querySelector(".embed-notice");
  const texts = notes.map((n) => noteText(n, catalogue, { menu: root.dataset.controls === "1" }));
  box.textContent = `This link was corrected: ${texts.slice(0, 4).join(" ")}${texts.length > 4 ? ` … and ${texts.length - 4} more.` : ""}`;
  box.hidden = false;
}

function setStatus(text, error = false) {
  status.textContent = text;
  status.title = text; // a short frame clamps the caption to two lines
  status.classList.toggle("error", error);
  fit();
}

/** "Open in Activation Lab" with the embed's current state (the explorer's link rule, url.js). */
function link(state, schema, catalogue, extra = {}) {
  openLink.href = `/${buildQuery({ ...state, ...extra }, schema, catalogue)}`;
}

// A frame too short for the plot and the controls: the controls go behind a Settings button and
// open over the plot, which keeps at least PLOT_MIN_PX (or 60 % of the frame) with the footer in view.
const settings = document.createElement("button");
settings.type = "button";
settings.className = "embed-settings";
settings.textContent = "Settings";
settings.hidden = true;
settings.setAttribute("aria-expanded", "false");
settings.setAttribute("aria-controls", "embed-controls");
form.id = "embed-controls";
foot.insertBefore(settings, openLink);
settings.addEventListener("click", () => {
  const open = !root.classList.contains("settings-open");
  root.classList.toggle("settings-open", open);
  settings.setAttribute("aria-expanded", String(open));
  settings.textContent = open ? "Close settings" : "Settings";
  // opened: the keyboard goes on in the controls (they come before the footer's button);
  // closed from inside them, it comes back to the button (not to the page's start)
  if (open) form.querySelector("input:not([type='hidden']):not(:disabled), select:not(:disabled), textarea, button:not(:disabled)")?.focus();
  else if (form.contains(document.activeElement)) settings.focus();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && root.classList.contains("settings-open")) settings.click();
});

/** `measure()` of the content as a frame tall enough for it shows it: the controls inline, the
 * caption whole, no Settings button in the footer (taken out of its flow, at the root's corner:
 * hidden, it lost the keyboard's focus); then as it was. */
function unclamped(measure) {
  const classes = root.className;
  root.classList.remove("compact", "short", "tight");
  Object.assign(settings.style, { position: "absolute", top: "0" });
  try {
    return measure();
  } finally {
    root.className = classes;
    Object.assign(settings.style, { position: "", top: "" });
  }
}

/** Controls inline or behind Settings; a caption clamped when the frame is short even so (to two
 * lines, or to one when two would push "Open in Activation Lab" out of the frame: 300 × 200). */
function fit() {
  const want = Math.min(PLOT_MIN_PX, 0.6 * root.clientHeight);
  const squeezed = () => plot.getBoundingClientRect().height < want || root.scrollHeight > root.clientHeight + 1;
  if (!form.hidden) {
    const wasCompact = root.classList.contains("compact");
    const compact = unclamped(squeezed);
    root.classList.toggle("compact", compact);
    settings.hidden = !compact;
    if (!compact && root.classList.contains("settings-open")) settings.click();
    if (compact !== wasCompact) postHeight();
  }
  root.classList.remove("short", "tight");
  if (!plot.hidden && squeezed()) {
    root.classList.add("short");
    if (root.scrollHeight > root.clientHeight + 1) root.classList.add("tight");
  }
}
window.addEventListener("resize", fit);

// The figure made again for the plot's new size, and drawn afresh when its width moved by 8 px or
// more (legend rows, margins: a host that resized the frame got the legend of the old width over
// the plot) or when its layout for the new height is not the one drawn (a short frame's legend and
// axis titles: a frame the auto-height script grew kept them); else only resized. That layout
// changes in steps, and a taller plot never gets a smaller legend than a shorter one: a host that
// sizes the frame to the content (which grows with the legend) settles after a drawing or two.
let remake = null;
let drawnWidth = 0;
let drawnLayout = "";
let resizing = 0;
// a new height only (a caption that now takes two lines, a notice, controls collapsed): the
// figure fitted to it, else it ran under the footer
let fitting = 0;
function refit() {
  clearTimeout(fitting);
  fitting = setTimeout(async () => {
    const drawn = plot._fullLayout;
    if (plot.dataset.rendered !== "1" || plot.dataset.figureHeight || !drawn || Math.abs(drawn.height - plot.clientHeight) < 2) return;
    (await plotly()).Plots.resize(plot);
  }, 40);
}
/** The figure as drawn at the plot's size (fitToWidth: a short frame's smaller legend, wrapped titles). */
const laidOut = (figure) => fitToWidth(figure, plot.clientWidth, plot.clientHeight);
/** What a drawing of the laid-out figure decides from the size: its layout and its traces' settings, not their data. */
const layoutOf = (figure) => JSON.stringify([figure.layout, figure.data.map((d) => Object.fromEntries(Object.entries(d).filter(([, v]) => !Array.isArray(v))))]);
new ResizeObserver(() => {
  clearTimeout(resizing);
  if (!remake || !plot.clientWidth || (Math.abs(plot.clientWidth - drawnWidth) < 8 && layoutOf(laidOut(remake())) === drawnLayout)) return refit();
  resizing = setTimeout(() => remake && draw(remake(), remake, { fresh: true }), 120);
}).observe(plot);

/** Draw a figure; `again`, when given, makes it anew for the plot's width when that changes
 * (then drawn afresh: Plotly.react of the same layout kept the legend where the old width put it).
 * Its legend entries and axis titles too long for the frame's width go on more lines (a 320 px
 * frame cut them off). After each drawing the plot says so ("actlab:drawn"): a fresh one has
 * lost the Plotly event handlers its module set. */
// Plotly's toolbar: shown on hover; a touch screen (no hover) would show it always, over the
// legend, so there it is left out unless the link asks for it (modebar=1)
const showModebar = () => root.dataset.modebar === "1" && (!touchScreen() || new URLSearchParams(location.search).get("modebar") === "1");

async function draw(figure, again = null, { fresh = false } = {}) {
  remake = again;
  drawnWidth = plot.clientWidth;
  figure = laidOut(figure);
  drawnLayout = layoutOf(figure);
  const layout = autorangeUnfixed({ ...figure.layout, autosize: true });
  // a figure of its own height taller than the room left scrolls inside the plot (app.css): the footer stays
  plot.dataset.figureHeight = layout.height || "";
  const Plotly = await plotly();
  const config = plotConfig(panelName, { displayModeBar: showModebar() ? "hover" : false });
  dropPendingResize(plot, layout);
  await (fresh ? Plotly.newPlot : Plotly.react)(plot, figure.data, layout, config);
  await barsToMaps(Plotly);
  describePlot(plot, plotTitle);
  plot.dataset.rendered = "1";
  plot.dispatchEvent(new Event("actlab:drawn"));
  refit(); // the caption or notice may have changed while it drew
  postHeight();
}

const MAP_TICKS_PX = 30; // under a map: its x ticks, then the legend

/** A colour bar beside maps of fixed aspect (decision boundaries side by side) that a frame taller
 * than they are left shorter than the plot: as tall as they are, level with them (it stood from the
 * plot's top to its bottom); and the legend just under their tick labels (it stayed at the plot's
 * bottom, or on the labels). */
async function barsToMaps(Plotly) {
  const full = plot._fullLayout;
  const { t, h } = full._size;
  const maps = Object.keys(plot.layout).filter((k) => /^yaxis\d*$/.test(k) && plot.layout[k].scaleanchor && full[k]).map((k) => full[k]);
  const bar = plot.data.findIndex((d) => d.type === "heatmap" && d.showscale !== false && !(d.colorbar && d.colorbar.orientation === "h"));
  if (!maps.length || bar < 0) return;
  // in pixels, from the maps as drawn (the aspect has shrunk their axes: _offset and _length)
  const top = Math.min(...maps.map((a) => a._offset));
  const bottom = Math.max(...maps.map((a) => a._offset + a._length));
  const fill = bottom - top > 0.97 * h; // (they fill the plot's height: the bar as it is)
  const layoutUpdate = {};
  const legend = plot.layout.legend || {};
  // (also when they fill it: a fraction of the plot's height below it lay on a short plot's tick labels)
  if ((legend.y ?? 1) < 0) Object.assign(layoutUpdate, { "legend.y": 1 - (bottom + MAP_TICKS_PX - t) / h, "legend.yanchor": "top", "legend.x": -0.01 }); // (x < 0: one row, as below the plot)
  const traceUpdate = fill ? {} : { "colorbar.lenmode": "pixels", "colorbar.len": bottom - top, "colorbar.y": 1 - (top - t) / h, "colorbar.yanchor": "top", "colorbar.ypad": 0 };
  if (fill && !Object.keys(layoutUpdate).length) return;
  await Plotly.update(plot, traceUpdate, layoutUpdate, [bar]);
}

/** Activations with in-range parameters (typed formulas as the server checked them), at most
 * `max` (the links' rule), the corrections noted. */
function checkSpecs(specs, catalogue, max, notes) {
  const checked = sanitise(specs, catalogue, max);
  notes.push(...checked.notes);
  return checked.specs;
}

async function main() {
  const [catalogue, meta, embed] = await Promise.all([loadCatalogue(), loadMeta(), import(root.dataset.module)]);
  const { state, notes } = readLink(meta.state, location.search, meta.embed_keys, meta.ordered);
  applyTheme(state.theme);
  const frame = { root, plot, latest, kind, panelName, setStatus, draw, showNotes, checkSpecs, postHeight, fit, link: (s, extra) => link(s, meta.state, catalogue, extra) };
  // the notes about settings this kind of plot reads (the explorer's other views' are not its concern)
  const unread = { function: ["act", "th", "view"], theory: ["act", "fn", "view"] }[kind] || ["fn", "th"];
  await embed.show(frame, catalogue, meta, state, notes.filter((n) => !unread.includes(n.key)));
  fit();
  new ResizeObserver(postHeight).observe(document.body);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  setStatus(`The plot failed to load: ${err.message}`, true);
});
