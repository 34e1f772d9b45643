// A student's side of a live class: the page shows each state the teacher sends (through
// the page-state hook, replacing the address: no history entries) until the student changes
// something (then they explore on their own, and one click rejoins); a pause locks the
// page's controls with the teacher's message; a class experiment takes the student's last run.
// When the class ends (the teacher ends it, or it idles out) the page is the student's own.
// The experiment's "Go to the Network view" is the class's own instruction: a student who
// follows it is still following (counted so), on an errand, and the teacher's view waits for
// them there (it comes back with "Back to the teacher's view", or when the experiment closes).
// So is a change in the Network view while an experiment is open (the class may be there already).
// An experiment that opens out of view is announced by a notice that stays in view (it never
// scrolls the page: the student may be reading or typing).

import { el } from "../lib/controls.js";
import { applyState } from "../lib/page-state.js";
import { format, parse } from "../lib/spec.js";
import { currentTheme } from "../lib/theme.js";
import { encodeValue } from "../lib/url.js";
import { pageFor, sameQuery } from "./address.js";
import { LiveClient } from "./client.js";
import { resultProblem, resultText, runResult } from "./results.js";

// what a pause locks (the plots stay): the page's controls, every way to another page, and this bar's "Explore on my own"
const LOCKED = [
  "main form", "[role=tablist]", ".presenter", "#remeasure", "#diagram-panel .diagram-box", // the controls
  "header.topbar .brand", "header.topbar nav.links", ".explorer-link", "#present-link", // the ways to another page
  "#live-follow",
].join(", ");
const REDIRECT = "actlab-live-redirect"; // the page this tab is being taken to by the class

/** Where the class took this tab last (read once per page), and setting it ("": nowhere). */
function redirect(path = undefined) {
  try {
    if (path === undefined) {
      const was = sessionStorage.getItem(REDIRECT);
      sessionStorage.removeItem(REDIRECT);
      return was;
    }
    if (path) sessionStorage.setItem(REDIRECT, path);
    else sessionStorage.removeItem(REDIRECT);
  } catch {
    /* storage blocked */
  }
  return null;
}

/** Whether this page shows the explorer's Network view. */
const inNetworkView = () => location.pathname === "/" && new URLSearchParams(location.search).get("view") === "network";
const reducedMotion = () => window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

/** What the bar says once this tab's result is in the class (`count`: the class's results so far). */
const sentText = (count) => (count ? `Sent ✓ — ${count} result${count === 1 ? "" : "s"} in the class so far.` : "Sent ✓");

const NAV_KEYS = new Set(["ArrowLeft", "ArrowRight", "PageUp", "PageDown", " ", "Spacebar", "Home", "End", "Escape"]); // a presentation's keys

export class Student {
  /** ctx: {meta, catalogue, forget, save (remember a change for this tab), following (at the start),
   * errand (the experiment this tab went to the Network view for, from the bar), seen (the
   * experiment last announced in this tab), sent (the experiment this tab last sent a result to),
   * joined (this page was opened from the join page), onLeave}. */
  constructor(code, { meta, catalogue, forget, save, following = true, errand = null, seen = null, sent = null, joined = false, onLeave }) {
    this.onLeave = onLeave;
    this.save = save;
    // a page the class did not bring this tab to, opened while following (a link, a typed
    // address): the student went there themselves, so they explore there
    this.cameByThemselves = !joined && redirect() !== location.pathname;
    this.errand = errand; // the experiment's id while on its errand (the teacher's view waits)
    this.seen = seen; // the experiment whose opening this tab has announced
    this.sent = sent; // the experiment this tab's result is in (the class keeps it from page to page)
    this.leaving = false; // this page is going to the Network view, on the experiment's errand
    this.meta = meta;
    this.catalogue = catalogue;
    this.forget = forget;
    this.labels = meta.live.numbers;
    this.target = null; // the teacher's latest state, as followed
    // only the student's own input, click or key breaks away: a page applying the teacher's
    // states (loading, reloading, catching up with a newer one) announces states of its own
    this.ownAt = -1; // when the student last acted (performance.now())
    this.appliedAt = 0; // when the class last gave the page a state
    this.trace = null; // the network view's last run
    this.locked = new Set(); // what the pause locked (and only that unlocks)
    this.client = new LiveClient(code, {
      follow: following,
      onState: (query) => this.show(query),
      onPause: (message) => this.lock(true, message),
      onRelease: () => this.lock(false),
      onExperiment: () => this.showExperiment(),
      onResults: (count) => this.showCount(count),
      onSnapshot: (info) => (this.codeEl.textContent = info.display_code),
      onFollow: (on) => this.showFollowing(on),
      onStatus: (status) => this.showStatus(status),
      onClosed: (reason) => this.closed(reason),
    });
    this.buildBar(code);
    if (!following) this.showFollowing(false);
    this.onState = (e) => {
      this.showNetLink();
      this.onPageState(e.detail);
    };
    window.addEventListener("actlab:state", this.onState);
    const own = (e) => {
      if (!e.isTrusted || (e.target instanceof Node && this.bar.contains(e.target))) return;
      this.ownAt = performance.now();
      redirect(""); // a page the student opens from here is theirs
    };
    for (const type of ["pointerdown", "keydown", "input", "change", "popstate"]) window.addEventListener(type, own, true);
    document.addEventListener("net:drawn", (e) => {
      this.trace = (e.detail && e.detail.trace) || null; // a sweep is no single run
      this.showExperiment();
    });
    window.addEventListener(
      "keydown",
      (e) => {
        if (this.client.paused && NAV_KEYS.has(e.key) && !this.bar.contains(e.target)) e.preventDefault(); // the presenter ignores handled keys
      },
      true,
    );
    window.addEventListener("pageshow", (e) => e.persisted && (this.leaving = false)); // back from the browser's cache
    window.addEventListener("resize", () => (this.client.paused || this.notice.dataset.show === "float") && this.placeUnderTopBar());
    // the notice goes once the experiment is in view, however it got there
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.notice.dataset.show === "float" && this.hideNotice(), { threshold: 1 }).observe(this.submitBtn);
    }
    this.client.connect();
  }

  buildBar(code) {
    this.modeEl = el("strong", { class: "live-mode", text: "Following the teacher" });
    this.codeEl = el("span", { class: "live-bar-code", text: code });
    this.statusEl = el("span", { class: "muted live-status", "aria-live": "polite", text: "connecting…" });
    this.leaveBtn = el("button", { type: "button", class: "live-leave", text: "Leave the class", onclick: () => this.leave() });
    this.toggleBtn = el("button", { type: "button", id: "live-follow", text: "Explore on my own", onclick: () => (this.client.following ? this.client.unfollow() : this.client.follow()) });
    this.pausedEl = el("p", { class: "live-paused", role: "alert", hidden: true });
    this.promptEl = el("strong", {});
    this.asksEl = el("span", { class: "muted" });
    this.runEl = el("span", { class: "live-run" });
    this.netLink = el("a", { href: "/?view=network", text: "Go to the Network view", hidden: inNetworkView(), onclick: (e) => this.goToNetwork(e) });
    this.submitBtn = el("button", { type: "button", id: "live-submit", class: "primary", text: "Submit to class", disabled: true, onclick: () => this.submit() });
    this.sentEl = el("output", { "aria-live": "polite" });
    this.expEl = el(
      "div",
      { class: "live-experiment", hidden: true, role: "group", "aria-label": "Class experiment", tabindex: "-1" },
      el("p", {}, "Class experiment: ", this.promptEl, " ", this.asksEl),
      el("p", {}, this.runEl, " ", this.netLink),
      el("div", { class: "live-row" }, this.submitBtn, this.sentEl),
    );
    this.backBtn = el("button", { type: "button", id: "live-back", text: "Back to the teacher's view", onclick: () => this.endErrand() });
    this.errandEl = el("p", { class: "live-errand", hidden: true }, el("span", { class: "muted", text: "You are on the class experiment: the teacher's view waits for you." }), this.backBtn);
    // the announcement of an experiment that opened: a status line, floating in view when the
    // experiment is out of view, else only read out (the experiment itself shows)
    this.noticeText = el("span", { role: "status", class: "live-notice-text" });
    this.noticeShow = el("button", { type: "button", class: "primary", text: "Show", hidden: true, onclick: () => this.revealExperiment() });
    this.noticeClose = el("button", { type: "button", class: "live-notice-close", text: "×", title: "Dismiss", "aria-label": "Dismiss", hidden: true, onclick: () => this.hideNotice() });
    this.notice = el("div", { class: "live-notice", "data-show": "quiet" }, this.noticeText, this.noticeShow, this.noticeClose);
    this.bar = el(
      "div",
      { class: "live-bar live-student", role: "region", "aria-label": "Live class", "data-live": "following", "data-paused": "0", "data-errand": "0" },
      el("span", { class: "live-dot", "aria-hidden": "true" }),
      this.modeEl,
      el("span", { class: "muted" }, "class ", this.codeEl), // (no "·" before it: on a phone the bar wraps, and it began a line)
      this.statusEl,
      this.toggleBtn,
      this.leaveBtn,
      this.errandEl,
      this.pausedEl,
      this.expEl,
      this.notice,
    );
    document.querySelector("header.topbar").after(this.bar);
  }

  // ------------------------------------------------------------------ following

  /** Show the teacher's state: another page loads; on this one the page applies it. */
  show(state) {
    this.target = state;
    const page = pageFor(state, currentTheme());
    if (!page) return;
    const cameByThemselves = this.cameByThemselves;
    this.cameByThemselves = false; // only the first state can find the student elsewhere
    if (this.leaving || this.onErrand()) return; // the teacher's view waits for the student's run
    this.appliedAt = performance.now();
    // the class takes this tab there (a lesson reloads itself to enter or leave its presentation)
    redirect(page.path);
    if (page.path !== location.pathname) {
      if (cameByThemselves) {
        redirect("");
        this.client.unfollow();
        return;
      }
      location.replace(`${page.path}${page.query ? `?${page.query}` : ""}`); // this tab remembers the class
      return;
    }
    if (!sameQuery(location.search, page.query, this.meta.page_keys)) applyState(page.query);
  }

  /** The page's state changed: the teacher's arriving, or the student's own (then they explore,
   * except in the Network view while the class experiment is open: picking its value and training
   * is the experiment's work, so they still follow, on its errand, and the teacher's view waits). */
  onPageState(state) {
    if (!this.client.following || this.target === null || this.ownAt < this.appliedAt) return;
    const page = pageFor(this.target, currentTheme());
    if (page && state.path === page.path && sameQuery(state.query, page.query, this.meta.page_keys)) return;
    const exp = this.client.experiment;
    if (exp && exp.open && this.client.synced && inNetworkView()) {
      this.setErrand(exp.id);
      return;
    }
    this.client.unfollow();
  }

  showFollowing(on) {
    if (!on) this.setErrand(null); // on their own: nothing waits for them
    if (this.save) this.save({ following: on });
    this.bar.dataset.live = on ? "following" : "exploring";
    this.modeEl.textContent = on ? "Following the teacher" : "Exploring on your own";
    this.toggleBtn.textContent = on ? "Explore on my own" : "Rejoin";
    this.toggleBtn.title = on ? "Stop following: change anything you like" : "Follow the teacher's screen again";
  }

  // ------------------------------------------------------------------ the experiment's errand

  /** The bar's "Go to the Network view": the class asks for it, so the student still follows
   * (the teacher's view waits while they train there). A click for another tab or window is
   * the browser's: that tab is on its own. */
  goToNetwork(e) {
    const exp = this.client.experiment;
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || !exp || !exp.open) return;
    if (this.client.following) this.setErrand(exp.id);
    if (location.pathname !== "/") {
      if (!this.client.following) return;
      redirect("/"); // the link goes there, and the class took this tab (not the student on their own)
      this.leaving = true; // a teacher's state arriving meanwhile waits for the Network view
      return;
    }
    e.preventDefault(); // the explorer is here: only its view changes
    this.appliedAt = performance.now();
    applyState(this.networkQuery(exp, location.search));
    this.showNetLink();
  }

  /** The experiment's link: to the Network view, or in it to an activation that has the
   * experiment's parameter (hidden when the one shown has it). */
  showNetLink() {
    const exp = this.client.experiment;
    if (!exp || !exp.open) return;
    const here = inNetworkView();
    this.netLink.hidden = here && sameQuery(location.search, this.networkQuery(exp, location.search), this.meta.page_keys);
    this.netLink.textContent = here ? `Train an activation that has ${exp.param}` : "Go to the Network view";
  }

  /** The Network view's query for the experiment: `from`'s settings (the explorer's own, or
   * none), its view the Network view, and an activation that has the experiment's parameter
   * (the Function view's, else the catalogue's first) unless the one there has it. */
  networkQuery(exp, from = "") {
    const pairs = String(from).replace(/^\?/, "").split("&").filter((p) => p && !p.startsWith("view="));
    const hasParam = (a) => Boolean(a && a.params.some((p) => p.id === exp.param && p.kind === "float"));
    if (exp.param && !this.meta.requests.train[exp.param]) {
      const act = pairs.find((p) => p.startsWith("act="));
      const name = act ? decodeURIComponent(act.slice(4)).split("(")[0] : "";
      const first = this.catalogue.list.find(hasParam);
      // the Function view's activation with that parameter, as set there (the teacher's leak of 0.2), else the catalogue's first
      const fn = pairs.find((p) => p.startsWith("fn="));
      const shown = fn ? parse(decodeURIComponent(fn.slice(3))).specs.find((s) => s.name && hasParam(this.catalogue.byId[s.name])) : null;
      if (!hasParam(this.catalogue.byId[name]) && (shown || first)) {
        const i = pairs.indexOf(act);
        if (i >= 0) pairs.splice(i, 1);
        pairs.push(`act=${shown ? encodeValue(format([shown], this.catalogue)) : first.id}`);
      }
    }
    return ["view=network", ...pairs].join("&");
  }

  /** Start (an experiment's id) or end (null) the errand; `store`: remember it for this tab. */
  setErrand(id, store = true) {
    const changed = this.errand !== id;
    this.errand = id;
    if (changed && store && this.save) this.save({ errand: id });
    this.showErrand();
  }

  showErrand() {
    this.bar.dataset.errand = this.errand === null ? "0" : "1";
    this.errandEl.hidden = this.errand === null;
  }

  /** On the experiment's errand: it is open and this page is the Network view. Else the errand is over. */
  onErrand() {
    if (this.errand === null) return false;
    const exp = this.client.experiment;
    if (exp && exp.open && exp.id === this.errand && inNetworkView()) {
      this.showErrand();
      return true;
    }
    this.setErrand(null);
    return false;
  }

  /** Back from the errand (the student's button, or the experiment closed): the teacher's view, now. */
  endErrand() {
    this.setErrand(null);
    if (this.client.following && this.target !== null) this.show(this.target);
  }

  showStatus(status) {
    this.statusEl.textContent = { connecting: "connecting…", reconnecting: "reconnecting…" }[status] || "";
  }

  /** Pause: the page's controls are locked (inert, greyed) with the teacher's message; its plots
   * stay. Releasing unlocks only what the pause locked (what was inert before stays so). */
  lock(on, message = "") {
    if (on) this.placeUnderTopBar();
    document.body.classList.toggle("live-locked", on);
    if (on) {
      for (const node of document.querySelectorAll(LOCKED)) {
        if (node.inert) continue;
        node.inert = true;
        node.dataset.liveLocked = "1";
        this.locked.add(node);
      }
    } else {
      for (const node of this.locked) {
        node.inert = false;
        delete node.dataset.liveLocked;
      }
      this.locked.clear();
    }
    this.bar.dataset.paused = on ? "1" : "0";
    this.pausedEl.hidden = !on;
    this.pausedEl.textContent = on ? `Paused by the teacher: ${message}` : "";
  }

  /** Paused, the bar sticks to the top of the screen (under the top bar where that sticks too),
   * so the message stays in view however far the page is scrolled. */
  placeUnderTopBar() {
    const top = document.querySelector("header.topbar");
    const sticky = top && getComputedStyle(top).position === "sticky";
    this.bar.style.setProperty("--live-top", sticky ? `${Math.round(top.getBoundingClientRect().height)}px` : "0px");
  }

  // ------------------------------------------------------------------ the class experiment

  showExperiment() {
    const exp = this.client.experiment;
    const open = Boolean(exp && exp.open);
    this.expEl.hidden = !open;
    if (!open) {
      this.hideNotice(true);
      // (the Network view may draw before the class's snapshot comes: no experiment known yet is not a closed one)
      if (this.errand !== null && this.client.synced) this.endErrand();
      return;
    }
    const fresh = this.sentFor !== exp.id;
    if (fresh) {
      this.sentFor = exp.id;
      const sent = this.sent === exp.id; // (from an earlier page of this tab)
      this.sentEl.textContent = sent ? sentText(this.client.results) : "";
      this.submitBtn.textContent = sent ? "Submit again (replaces yours)" : "Submit to class";
      if (sent) this.bar.dataset.submitted = String(exp.id);
    }
    this.netLink.href = `/?${pageFor(this.networkQuery(exp), currentTheme()).query}`;
    this.showNetLink();
    this.promptEl.textContent = exp.prompt;
    const sends = [...(exp.param ? [exp.param] : []), ...exp.collect.map((n) => this.labels[n] || n)];
    const who = this.client.nickname ? ` as “${this.client.nickname}” (only the teacher sees it)` : "";
    this.asksEl.textContent = `— train in the Network view, then submit: sends ${sends.join(", ")}${who}.`;
    const run = runResult(this.trace, this.catalogue, exp.param);
    const problem = resultProblem(run, exp, this.labels);
    this.runEl.textContent = problem || `Your run: ${resultText(run, exp, this.labels)}${exp.param ? ` (${exp.param} = ${run.params[exp.param]})` : ""}`;
    this.runEl.classList.toggle("muted", Boolean(problem));
    this.submitBtn.disabled = Boolean(problem);
    if (fresh && this.seen !== exp.id) this.announce(exp);
  }

  /** A newly opened experiment is said (role=status) and, when it is out of view, shown in a
   * notice that stays in view until the experiment is, or is dismissed: the page does not
   * scroll by itself (the student may be reading, or typing). */
  announce(exp) {
    this.seen = exp.id;
    if (this.save) this.save({ seen: exp.id });
    this.placeUnderTopBar();
    const top = parseFloat(this.bar.style.getPropertyValue("--live-top")) || 0;
    const r = this.expEl.getBoundingClientRect();
    const inView = r.top >= top && r.bottom <= window.innerHeight;
    this.notice.dataset.show = inView ? "quiet" : "float";
    this.noticeShow.hidden = this.noticeClose.hidden = inView;
    this.noticeText.textContent = `The teacher opened a class experiment: ${exp.prompt}`;
  }

  /** The notice's "Show": the experiment into view, and the keyboard to it. */
  revealExperiment() {
    this.hideNotice();
    const top = parseFloat(this.bar.style.getPropertyValue("--live-top")) || 0;
    window.scrollTo({ top: window.scrollY + this.bar.getBoundingClientRect().top - top - 8, behavior: reducedMotion() ? "auto" : "smooth" });
    this.expEl.focus({ preventScroll: true });
  }

  /** The notice out of sight (its text stays for a screen reader that has not read it yet, unless `clear`). */
  hideNotice(clear = false) {
    this.notice.dataset.show = "quiet";
    this.noticeShow.hidden = this.noticeClose.hidden = true;
    if (clear) this.noticeText.textContent = "";
  }

  showCount(count) {
    if (this.sentFor !== undefined && this.sentEl.textContent) this.sentEl.textContent = sentText(count);
  }

  async submit() {
    const exp = this.client.experiment;
    const run = runResult(this.trace, this.catalogue, exp && exp.param);
    if (!exp || resultProblem(run, exp, this.labels)) return;
    this.submitBtn.disabled = true;
    try {
      const { count } = await this.client.submitResult(run);
      this.sentEl.textContent = sentText(count);
      this.submitBtn.textContent = "Submit again (replaces yours)";
      this.bar.dataset.submitted = String(exp.id);
      this.sent = exp.id;
      if (this.save) this.save({ sent: exp.id });
    } catch (e) {
      this.sentEl.textContent = `Not sent: ${e.message}`;
    } finally {
      this.submitBtn.disabled = false;
    }
  }

  // ------------------------------------------------------------------ leaving

  /** The class is over (reason: "ended" by the teacher, "expired", "not found"), or there was
   * none (not found before this page heard from it: a mistyped link): the page stays as it is,
   * unlocked, and is the student's own; the bar says so until dismissed. */
  closed(reason) {
    const none = reason === "not found" && !this.client.synced;
    window.removeEventListener("actlab:state", this.onState); // nothing follows or is saved any more
    this.lock(false);
    this.forget();
    this.bar.dataset.live = "ended";
    this.modeEl.textContent = none ? `No live class has the code ${this.client.code}` : reason === "ended" ? "The teacher ended the class" : "The class has ended";
    this.statusEl.textContent = none ? "It may have expired: check the code with the teacher. This page is yours to explore." : "This page is yours now: carry on exploring.";
    this.toggleBtn.hidden = true;
    this.expEl.hidden = true;
    this.setErrand(null, false); // (the class is forgotten: nothing more is stored)
    this.hideNotice(true);
    this.leaveBtn.textContent = "Dismiss";
  }

  leave() {
    this.client.disconnect();
    this.lock(false);
    this.forget();
    this.bar.remove();
    if (this.onLeave) this.onLeave();
  }
}
