// A plot panel: title, short explanation, the Plotly plot, and exports (PNG and SVG sized
// for slides, CSV and JSON of the data behind the plot, an embed snippet).

import { el } from "./controls.js";
import { autorangeUnfixed, fitToWidth } from "./figures.js";
import { describePlot, dropPendingResize, plotly } from "./plotly.js";

export const SLIDE = { width: 1280, height: 720, scale: 1.5 }; // 1920×1080 pixels, type scaled to match

/**
 * Plotly's options for every plot of the app. Nothing on the mode bar may leave this origin:
 * plotly.js offers "Share chart…" (an upload to Plotly's cloud, on by default since v4), an
 * "Edit in Chart Studio" link and its logo linking to plotly.com — all off. What stays is
 * local: zoom, pan, autoscale, reset and download as PNG.
 */
export const OFF_ORIGIN_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"];
export function plotConfig(filename, extra = {}) {
  return {
    responsive: true,
    displaylogo: false,
    showLink: false,
    showSendToCloud: false,
    showEditInChartStudio: false,
    plotlyServerURL: "",
    scrollZoom: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", ...OFF_ORIGIN_BUTTONS],
    toImageButtonOptions: { format: "png", filename, ...SLIDE },
    ...extra,
  };
}

export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function csvCell(v) {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCSV(table) {
  const lines = [table.columns.map(csvCell).join(",")];
  for (const row of table.rows) lines.push(row.map(csvCell).join(","));
  return lines.join("\n") + "\n";
}

/**
 * A panel's export buttons, the same on every panel: PNG, SVG, CSV, JSON and (with ``embed``)
 * Embed, each calling its handler. Off (with a reason in its title) until ``exportable``.
 */
export function exportActions(title, { image, csv, json, embed }) {
  const actions = el("div", { class: "actions", role: "group", "aria-label": `Export ${title}` });
  const button = (text, tip, fn) => el("button", { type: "button", text, title: tip, "data-export": text.toLowerCase(), onclick: fn });
  actions.append(
    button("PNG", "Download as PNG (1920×1080, for slides)", () => image("png")),
    button("SVG", "Download as SVG (vector, for print and slides)", () => image("svg")),
    button("CSV", "Download the data behind this plot as CSV", csv),
    button("JSON", "Download the data behind this plot as JSON", json),
  );
  if (embed) actions.append(button("Embed", "Embed this plot in another page", embed));
  return actions;
}

/** The export buttons work only while something is drawn (after Reset they downloaded the discarded run). */
export function exportable(actions, on) {
  for (const b of actions.querySelectorAll("[data-export]:not([data-export='embed'])")) {
    b.disabled = !on;
    b.title = on ? b.title.replace(/ \(nothing drawn yet\)$/, "") : `${b.title.replace(/ \(nothing drawn yet\)$/, "")} (nothing drawn yet)`;
  }
}

/** The orientation of each trace's colour bar ("" for none), as one key. */
function colourBars(data) {
  return data.map((t) => (t.showscale === false || !(t.colorbar || t.showscale) ? "" : (t.colorbar && t.colorbar.orientation) || "v")).join(",");
}

export class Panel {
  /**
   * root: the .panel element. opts: {title, help, name (of exported files), embed? (true, or
   * the /embed/<route> name when it differs from name), onEmbed?}
   */
  constructor(root, opts) {
    this.root = root;
    this.opts = opts;
    this.name = opts.name;
    this.embedName = typeof opts.embed === "string" ? opts.embed : opts.name;
    this.table = null;
    this.json = null;
    const title = el("h2", { text: opts.title });
    this.titleEl = title;
    const actions = exportActions(opts.title, {
      image: (format) => this.image(format),
      csv: () => this.exportCSV(),
      json: () => this.exportJSON(),
      embed: opts.embed && opts.onEmbed ? () => opts.onEmbed(this) : null,
    });
    this.actions = actions;
    const head = el("div", { class: "panel-head" }, title);
    if (opts.help) head.append(el("span", { class: "help-dot", title: opts.help, "aria-label": opts.help, tabindex: "0", role: "note", text: "?" }));
    head.append(actions);
    this.plot = el("div", { class: "plot", role: "figure", "aria-label": opts.title });
    // Plotly sizes a plot when drawn and when the window resizes, not when its box changes
    // (compare mode widens some plots to the whole grid): follow the box's width
    let width = 0;
    new ResizeObserver(() => {
      const w = this.plot.clientWidth;
      if (this.rendered && w && Math.abs(w - width) > 1) window.Plotly.Plots.resize(this.plot);
      width = w;
    }).observe(this.plot);
    this.note = el("p", { class: "note" });
    this.extra = el("div", { class: "extra" });
    this.staleNote = el("p", { class: "stale-note", role: "status", hidden: true });
    root.replaceChildren(head, this.staleNote, this.plot, this.extra, this.note);
    this.rendered = false;
    this.exportable(false);
  }

  setTitle(text) {
    this.titleEl.textContent = text;
    this.plot.setAttribute("aria-label", text);
  }

  /** Draw (or redraw in place with Plotly.react) and remember the data for export
   * (``table`` may be a function: built only when the CSV is asked for). Legend entries and
   * axis titles too long for the plot's width go on more lines (figures.js fitToWidth). */
  render(figure, { table, json, note, extra = true } = {}) {
    const turn = (this.turn = (this.turn || 0) + 1); // a later render or showEmpty wins
    if (!window.Plotly) return plotly().then(() => turn === this.turn && this.render(figure, { table, json, note, extra }));
    this.markStale(null);
    figure = fitToWidth(figure, this.plot.clientWidth);
    autorangeUnfixed(figure.layout);
    const config = plotConfig(this.name, figure.config);
    if (this.empty) {
      this.empty.remove();
      this.empty = null;
    }
    this.table = table || null;
    this.json = json || null;
    this.exportable(true);
    this.note.textContent = note || "";
    this.extra.hidden = !extra; // (what goes under the plot, e.g. a scrubber, belongs to its figure)
    // Plotly.react leaves a colour bar's old axis drawn when the bar turns (the phone layout's
    // is horizontal, under the map; the wide one's upright, beside it), over a squeezed plot:
    // the bars are taken away first, then drawn as they now are
    const bars = colourBars(figure.data);
    const turned = this.rendered && bars !== this.bars;
    this.bars = bars;
    dropPendingResize(this.plot, figure.layout);
    const draw = () => window.Plotly.react(this.plot, figure.data, figure.layout, config);
    const p = (turned ? window.Plotly.react(this.plot, figure.data.map((t) => ({ ...t, showscale: false })), figure.layout, config).then(() => turn === this.turn && draw()) : draw())
      .then((gd) => {
        if (turn === this.turn) describePlot(this.plot, this.titleEl.textContent);
        return gd;
      });
    this.rendered = true;
    this.plot.dataset.rendered = "1";
    return p;
  }

  showEmpty(message) {
    this.turn = (this.turn || 0) + 1;
    this.markStale(null);
    if (this.rendered) {
      window.Plotly.purge(this.plot);
      this.rendered = false;
      delete this.plot.dataset.rendered;
    }
    this.note.textContent = ""; // nothing drawn: no caption and no scrubber of what was
    this.extra.hidden = true;
    this.table = null; // nor its data to export
    this.json = null;
    this.exportable(false);
    if (!this.empty) {
      this.empty = el("div", { class: "empty" });
      this.plot.append(this.empty);
    }
    this.empty.textContent = message;
  }

  exportable(on) {
    exportable(this.actions, on);
  }

  /** While a drawing of new settings is on its way: what is drawn (of earlier ones) faded, and
   * ``text`` said over it; null when it is drawn (render and showEmpty do). Nothing drawn: nothing to mark. */
  markStale(text) {
    const on = Boolean(text) && this.rendered;
    this.root.dataset.stale = on ? "1" : "0";
    this.staleNote.hidden = !on;
    this.staleNote.textContent = on ? text : "";
  }

  image(format) {
    if (!this.rendered) return;
    return window.Plotly.downloadImage(this.plot, { format, filename: this.name, ...SLIDE });
  }

  exportCSV() {
    const table = typeof this.table === "function" ? this.table() : this.table;
    if (table) download(`${this.name}.csv`, toCSV(table), "text/csv");
  }

  exportJSON() {
    if (this.json) download(`${this.name}.json`, JSON.stringify(this.json, null, 1), "application/json");
  }
}
