// Themes: colours come from the CSS custom properties of the active theme, and every
// series uses the Okabe–Ito palette, which stays distinguishable with colour-blindness.

const PALETTES = {
  light: ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"],
  dark: ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00", "#FFFFFF"],
  contrast: ["#FFDD00", "#00E5FF", "#FF6BD6", "#7DFF9B", "#FFFFFF", "#FF9F43", "#B39DFF"],
};
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid"];

export const THEMES = Object.keys(PALETTES);

export function currentTheme() {
  const t = document.documentElement.dataset.theme;
  return THEMES.includes(t) ? t : "light";
}

const STORE = "actlab-theme";

/** The theme this browser last chose (explorer or lessons), else light. */
export function preferredTheme() {
  try {
    const t = localStorage.getItem(STORE);
    return THEMES.includes(t) ? t : "light";
  } catch {
    return "light"; // storage blocked (e.g. a sandboxed frame)
  }
}

/** Switch theme; `remember` (a choice the user made) makes it the default of the next page. */
export function applyTheme(name, { remember = false } = {}) {
  const theme = THEMES.includes(name) ? name : "light";
  const root = document.documentElement;
  root.dataset.theme = theme;
  // --series-i: the i-th series colour, so cards and legends in HTML follow the plots' palette
  PALETTES[theme].forEach((c, i) => root.style.setProperty(`--series-${i}`, c));
  if (remember) {
    try {
      localStorage.setItem(STORE, theme);
    } catch {
      /* not remembered: storage blocked */
    }
  }
}

export function palette() {
  return PALETTES[currentTheme()];
}

/** Colour and dash of the i-th series (dash doubles the cue for people who can't tell hues apart). */
export function seriesStyle(i) {
  const p = palette();
  return { color: p[i % p.length], dash: DASHES[Math.floor(i / p.length) % DASHES.length] };
}

/** The i-th series colour as a CSS value that follows theme changes (for HTML swatches). */
export function swatch(i) {
  return `var(--series-${i % PALETTES.light.length})`;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function colours() {
  return {
    bg: cssVar("--surface"),
    text: cssVar("--text"),
    muted: cssVar("--muted"),
    grid: cssVar("--grid"),
    zero: cssVar("--zero"),
    border: cssVar("--border"),
    danger: cssVar("--danger"),
  };
}

/** Heatmap colour scale: perceptually uniform, readable on any theme (viridis). */
export const SEQUENTIAL = "Viridis";
/** Diverging scale for probabilities around 0.5, colour-blind safe (blue ↔ orange). */
export function divergingScale() {
  const p = palette();
  return [
    [0, currentTheme() === "light" ? "#0072B2" : "#56B4E9"],
    [0.5, colours().bg || "#ffffff"],
    [1, currentTheme() === "contrast" ? "#FF9F43" : "#D55E00"],
  ].map(([t, c], i) => [t, c || p[i]]);
}

/** The figures' typeface (Plotly's layout.font.family; figures.js measures text in it). */
export const FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, DejaVu Sans, sans-serif";

/** Base Plotly layout for the active theme; `big` enlarges type for projectors and slides. */
export function baseLayout({ big = false } = {}) {
  const c = colours();
  const size = big ? 18 : 13;
  const axis = { gridcolor: c.grid, zerolinecolor: c.zero, linecolor: c.border, tickfont: { size: size - 1 }, title: { font: { size } } };
  return {
    paper_bgcolor: c.bg,
    plot_bgcolor: c.bg,
    font: { color: c.text, size, family: FONT_FAMILY },
    margin: { l: 58, r: 16, t: 28, b: 46 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)", traceorder: "normal" },
    hoverlabel: { font: { size: size - 1 } },
    xaxis: { ...axis },
    yaxis: { ...axis },
    uirevision: "keep",
  };
}

export function axisStyle() {
  return baseLayout().xaxis;
}
