// plotly.js is a classic script loaded `async` (templates/base.html), so that it holds up
// neither the app's modules nor their first requests; whatever draws awaits plotly() first.

let loaded = null;

/** window.Plotly, once the script has run. */
export function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loaded) {
    loaded = new Promise((resolve, reject) => {
      const script = document.getElementById("plotly-js");
      if (!script) return reject(new Error("this page does not load plotly.js"));
      script.addEventListener("load", () => resolve(window.Plotly));
      script.addEventListener("error", () => reject(new Error("plotly.js failed to load")));
    });
  }
  return loaded;
}

/** Before drawing `layout`: Plots.resize acts 100 ms after it is called, on whatever layout the
 * plot has then, and takes away a height the layout sets (a phone's): drawn in between, such a
 * figure was stretched to its box (Plotly.newPlot forgets that timer without clearing it). A resize
 * pending for a layout that takes its box's size is left to do its work. */
export function dropPendingResize(gd, layout) {
  if (layout && layout.height) clearTimeout(gd._redrawTimer);
}

/** After drawing: the plot's name for assistive technology is its title and what it draws (the
 * legend's entries), and Plotly's svgs (tick numbers, shapes: no text alternative) are left out of
 * the accessibility tree; the toolbar stays (the plot is a figure, which may hold controls). */
export function describePlot(gd, title) {
  const names = [...new Set((gd.data || []).filter((t) => t.showlegend !== false && t.name).map((t) => String(t.name)))];
  const shown = names.slice(0, 6).join(", ") + (names.length > 6 ? `, and ${names.length - 6} more` : "");
  gd.setAttribute("aria-label", names.length ? `${title}: ${shown}` : title);
  for (const svg of gd.querySelectorAll("svg.main-svg")) svg.setAttribute("aria-hidden", "true");
}

// Plotly's toolbar is a row of buttons, a Tab stop each (7 per plot). As a WAI-ARIA toolbar it
// is one Tab stop: the arrow keys, Home and End move within it. The buttons are made on each
// drawing, so this acts when one gets focus (Tab into the toolbar lands on its first button,
// then the others leave the Tab order) rather than on each drawing.
const BUTTON = ".modebar .modebar-btn";
const MOVES = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };

function buttonsOf(button) {
  return [...button.closest(".modebar").querySelectorAll(".modebar-btn")];
}

/** The toolbar's one Tab stop is ``button``. */
function rove(button) {
  for (const b of buttonsOf(button)) b.tabIndex = b === button ? 0 : -1;
}

{
  document.addEventListener("focusin", (event) => {
    if (event.target instanceof Element && event.target.matches(BUTTON)) rove(event.target);
  });
  document.addEventListener("keydown", (event) => {
    const move = MOVES[event.key];
    if (move === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    if (!(event.target instanceof Element && event.target.matches(BUTTON))) return;
    const buttons = buttonsOf(event.target);
    const at = buttons.indexOf(event.target);
    const to = Number.isFinite(move) ? (at + move + buttons.length) % buttons.length : move < 0 ? 0 : buttons.length - 1;
    event.preventDefault();
    buttons[to].focus();
  });
}
