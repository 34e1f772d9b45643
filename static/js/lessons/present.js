// Presentation mode for a lesson page: one idea per screen — the claim, then each live plot
// with the measured readout, then why, then every number measured — with a stable URL per screen
// (/lessons/{slug}?present=1&step=N, the lesson's controls alongside) and keyboard
// navigation: → / Page Down / Space next, ← / Page Up / Shift+Space previous, Home / End,
// Esc leaves. Past the last screen it continues with the next lesson (and back), with the
// settings that lesson had when it was last left in this browser tab.

import { announceState } from "../lib/page-state.js";

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

// Keys of a lesson's address that are not its settings.
export const PAGE_KEYS = ["present", "step", "theme", "class"];
const SETTINGS_KEY = (slug) => `actlab.lesson-settings.${slug}`;

/** A lesson's settings as its address had them when it was last left in this tab (sessionStorage), or none. */
function savedSettings(slug) {
  try {
    return new URLSearchParams(sessionStorage.getItem(SETTINGS_KEY(slug)) || "");
  } catch {
    return new URLSearchParams(); // (storage refused: nothing kept)
  }
}

function saveSettings(slug, search) {
  const q = new URLSearchParams(search);
  for (const k of PAGE_KEYS) q.delete(k);
  try {
    sessionStorage.setItem(SETTINGS_KEY(slug), q.toString());
  } catch {
    // storage refused: the next visit starts from the defaults
  }
}

export class Presenter {
  /**
   * main: the lesson's <main> (data-prev, data-next); lesson: /api/lessons/{slug};
   * onShow(): draw what became visible; query(): the page's query for the current step.
   */
  constructor(main, lesson, { present, onShow, query }) {
    this.main = main;
    this.lesson = lesson;
    this.present = present;
    this.onShow = onShow;
    this.query = query;
    this.steps = 3 + lesson.plots.length;
    this.prev = main.dataset.prev || null;
    this.next = main.dataset.next || null;
    this.claim = main.querySelector(".step-claim");
    this.live = main.querySelector(".live");
    this.why = main.querySelector(".step-why");
    this.numbers = main.querySelector(".step-numbers");
    this.plotSteps = [...main.querySelectorAll(".step-plot")];
    this.where = document.getElementById("step-where");
    this.more = document.getElementById("step-more");
    this.slug = main.dataset.slug;
    this.step = this.stepFromUrl();
    document.getElementById("step-prev").addEventListener("click", () => this.go(-1));
    document.getElementById("step-next").addEventListener("click", () => this.go(1));
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("popstate", () => {
      this.step = this.stepFromUrl();
      this.show(this.step, { push: false });
    });
    // the settings in the address when the page is left (→ past the end, Exit, back, a link)
    window.addEventListener("pagehide", () => saveSettings(this.slug, location.search));
    if (present) this.followBar();
    this.show(this.step, { push: false });
  }

  /** The slide's bottom padding is the bar's real height (--presenter-h), and what sits above the
   * slide (a live class's strip) is taken from its screen height (--above-slide-h); while the slide
   * goes on below the screen the bar says "More below" (a click scrolls on); a change of the room
   * the slide has redraws the plot. */
  followBar() {
    const bar = this.main.querySelector(".presenter");
    const root = document.documentElement;
    const set = (name, px) => {
      if (root.style.getPropertyValue(name) !== px) root.style.setProperty(name, px);
    };
    // lessons.js redraws when the plot style changes; a plot's layout also follows the room it
    // has (figures.js): a window resized (a zoom), or a live class's strip shown above the slide
    const room = () => `${innerWidth}×${innerHeight}|${root.style.getPropertyValue("--above-slide-h")}`;
    let drawnIn = null;
    let timer = null;
    const redrawForRoom = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (room() === drawnIn) return;
        drawnIn = room();
        this.onShow();
        window.dispatchEvent(new Event("resize")); // (Plotly sizes a plot to its box on a resize only)
      }, 200);
    };
    const update = () => {
      set("--presenter-h", `${bar.offsetHeight}px`);
      set("--above-slide-h", `${Math.max(0, Math.round(this.main.getBoundingClientRect().top + scrollY))}px`);
      const below = root.scrollHeight - scrollY - innerHeight;
      this.more.hidden = below <= 4;
      if (drawnIn !== null && room() !== drawnIn) redrawForRoom();
    };
    new ResizeObserver(update).observe(bar);
    new ResizeObserver(update).observe(this.main);
    new ResizeObserver(update).observe(document.body); // (a class strip added, removed or wrapping)
    window.addEventListener("scroll", update, { passive: true });
    this.more.addEventListener("click", () => this.page(1, "smooth"));
    this.updateBar = update;
    update();
    drawnIn = room();
    window.addEventListener("resize", redrawForRoom);
  }

  /** Scroll the slide a screen on (dir 1) or back (−1), less the bar; false when it is already at that end. */
  page(dir, behavior = "instant") {
    const bar = this.main.querySelector(".presenter");
    const root = document.documentElement;
    const room = dir > 0 ? root.scrollHeight - scrollY - innerHeight : scrollY;
    if (room <= 4) return false;
    window.scrollBy({ top: dir * Math.max(40, innerHeight - 2 * bar.offsetHeight), behavior });
    return true;
  }

  stepFromUrl() {
    const raw = new URLSearchParams(location.search).get("step");
    if (raw === "last") return this.steps;
    const n = parseInt(raw || "1", 10);
    return Number.isFinite(n) ? Math.min(this.steps, Math.max(1, n)) : 1;
  }

  /** What step n shows, for the indicator. */
  label(n) {
    if (n === 1) return "the claim";
    if (n === this.steps - 1) return "why";
    if (n === this.steps) return "every number measured";
    return this.lesson.plots[n - 2].title;
  }

  show(n, { push = true } = {}) {
    this.step = n;
    if (!this.present) {
      for (const node of [this.claim, this.live, this.why, this.numbers, ...this.plotSteps]) node.hidden = false;
    } else {
      this.claim.hidden = n !== 1;
      this.why.hidden = n !== this.steps - 1;
      this.numbers.hidden = n !== this.steps;
      this.live.hidden = n === 1 || n >= this.steps - 1;
      this.plotSteps.forEach((node) => (node.hidden = Number(node.dataset.step) !== n));
      this.main.dataset.step = String(n);
      this.where.textContent = `Lesson ${this.lesson.number} · ${n} / ${this.steps} · ${this.label(n)}`;
      const q = this.query();
      q.set("present", "1");
      q.set("step", String(n));
      const url = `${location.pathname}?${q}`;
      if (url !== `${location.pathname}${location.search}`) {
        if (push) history.pushState(null, "", url);
        else history.replaceState(null, "", url);
      }
      announceState();
      const heading = this.main.querySelector(`.step[data-step="${n}"]`);
      if (heading && push) heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    this.onShow();
    if (this.updateBar) this.updateBar();
    window.dispatchEvent(new Event("resize")); // let Plotly size plots that were hidden
  }

  /** Across lessons the presentation state and the theme carry over, and the other lesson's
   * settings come back as it was left in this tab (none kept: its defaults). */
  lessonUrl(slug, step) {
    const q = savedSettings(slug);
    q.set("present", "1");
    q.set("step", String(step));
    const theme = document.documentElement.dataset.theme;
    if (theme && theme !== "light") q.set("theme", theme);
    return `/lessons/${slug}?${q}`;
  }

  go(delta) {
    const n = this.step + delta;
    if (n < 1) {
      if (this.prev) this.leave(this.lessonUrl(this.prev, "last"));
      return;
    }
    if (n > this.steps) {
      if (this.next) this.leave(this.lessonUrl(this.next, 1));
      return;
    }
    this.show(n);
  }

  leave(url) {
    saveSettings(this.slug, location.search);
    location.assign(url);
  }

  onKey(e) {
    if (!this.present || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    const tag = t && t.tagName;
    if (TYPING.has(tag) || (t && t.isContentEditable)) {
      if (e.key === "Escape") t.blur(); // a second Esc leaves the presentation
      return;
    }
    switch (e.key) {
      case "ArrowRight":
        this.go(1);
        break;
      case "ArrowLeft":
        this.go(-1);
        break;
      case "PageDown":
      case "PageUp":
      case " ":
      case "Spacebar": {
        if ((e.key === " " || e.key === "Spacebar") && (tag === "BUTTON" || tag === "A")) return; // Space presses the focused button itself
        const dir = e.key === "PageUp" || e.shiftKey ? -1 : 1;
        // a slide taller than the screen is read to its end (and back to its start) before the next one
        if (!this.page(dir)) this.go(dir);
        break;
      }
      case "Home":
        this.show(1);
        break;
      case "End":
        this.show(this.steps);
        break;
      case "Escape":
        location.assign(document.getElementById("present-exit").href);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}
