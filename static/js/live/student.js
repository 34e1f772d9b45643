// A student's side of a live class: the page shows each state the teacher sends (through
// the page-state hook, replacing the address: no history entries) until the student changes
// something (then they explore on their own, and one click rejoins); a pause locks the
// page's controls with the teacher's message; a class experiment takes the student's last run.
// When the class ends (the teacher ends it, or it idles out) the page is the student's own.

import { el } from "../lib/controls.js";
import { applyState } from "../lib/page-state.js";
import { currentTheme } from "../lib/theme.js";
import { pageFor, sameQuery } from "./address.js";
import { LiveClient } from "./client.js";
import { resultProblem, resultText, runResult } from "./results.js";

const LOCKED = "main form, [role=tablist], .presenter"; // what a pause locks: the controls (the plots stay)
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

const NAV_KEYS = new Set(["ArrowLeft", "ArrowRight", "PageUp", "PageDown", " ", "Spacebar", "Home", "End", "Escape"]); // a presentation's keys

export class Student {
  /** ctx: {meta, catalogue, forget, save (remember a change for this tab), following (at the start),
   * joined (this page was opened from the join page), onLeave}. */
  constructor(code, { meta, catalogue, forget, save, following = true, joined = false, onLeave }) {
    this.onLeave = onLeave;
    this.save = save;
    // a page the class did not bring this tab to, opened while following (a link, a typed
    // address): the student went there themselves, so they explore there
    this.cameByThemselves = !joined && redirect() !== location.pathname;
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
    this.onState = (e) => this.onPageState(e.detail);
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
    window.addEventListener("resize", () => this.client.paused && this.placeUnderTopBar());
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
    this.netLink = el("a", { href: "/?view=network", text: "Go to the Network view", hidden: location.pathname === "/" });
    this.submitBtn = el("button", { type: "button", id: "live-submit", class: "primary", text: "Submit to class", disabled: true, onclick: () => this.submit() });
    this.sentEl = el("output", { "aria-live": "polite" });
    this.expEl = el(
      "div",
      { class: "live-experiment", hidden: true, role: "group", "aria-label": "Class experiment" },
      el("p", {}, "Class experiment: ", this.promptEl, " ", this.asksEl),
      el("p", {}, this.runEl, " ", this.netLink),
      el("div", { class: "live-row" }, this.submitBtn, this.sentEl),
    );
    this.bar = el(
      "div",
      { class: "live-bar live-student", role: "region", "aria-label": "Live class", "data-live": "following", "data-paused": "0" },
      el("span", { class: "live-dot", "aria-hidden": "true" }),
      this.modeEl,
      el("span", { class: "muted" }, "class ", this.codeEl), // (no "·" before it: on a phone the bar wraps, and it began a line)
      this.statusEl,
      this.toggleBtn,
      this.leaveBtn,
      this.pausedEl,
      this.expEl,
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

  /** The page's state changed: the teacher's arriving, or the student's own (then they explore). */
  onPageState(state) {
    if (!this.client.following || this.target === null || this.ownAt < this.appliedAt) return;
    const page = pageFor(this.target, currentTheme());
    if (!(page && state.path === page.path && sameQuery(state.query, page.query, this.meta.page_keys))) this.client.unfollow();
  }

  showFollowing(on) {
    if (this.save) this.save({ following: on });
    this.bar.dataset.live = on ? "following" : "exploring";
    this.modeEl.textContent = on ? "Following the teacher" : "Exploring on your own";
    this.toggleBtn.textContent = on ? "Explore on my own" : "Rejoin";
    this.toggleBtn.title = on ? "Stop following: change anything you like" : "Follow the teacher's screen again";
  }

  showStatus(status) {
    this.statusEl.textContent = { connecting: "connecting…", reconnecting: "reconnecting…" }[status] || "";
  }

  /** Pause: the page's controls are locked (inert) with the teacher's message; its plots stay. */
  lock(on, message = "") {
    if (on) this.placeUnderTopBar();
    document.body.classList.toggle("live-locked", on);
    for (const node of document.querySelectorAll(LOCKED)) node.inert = on;
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
    if (!open) return;
    if (this.sentFor !== exp.id) {
      this.sentFor = exp.id;
      this.sentEl.textContent = "";
      this.submitBtn.textContent = "Submit to class";
    }
    this.promptEl.textContent = exp.prompt;
    const sends = [...(exp.param ? [exp.param] : []), ...exp.collect.map((n) => this.labels[n] || n)];
    const who = this.client.nickname ? ` as “${this.client.nickname}” (only the teacher sees it)` : "";
    this.asksEl.textContent = `— train in the Network view, then submit: sends ${sends.join(", ")}${who}.`;
    const run = runResult(this.trace, this.catalogue, exp.param);
    const problem = resultProblem(run, exp, this.labels);
    this.runEl.textContent = problem || `Your run: ${resultText(run, exp, this.labels)}${exp.param ? ` (${exp.param} = ${run.params[exp.param]})` : ""}`;
    this.runEl.classList.toggle("muted", Boolean(problem));
    this.submitBtn.disabled = Boolean(problem);
  }

  showCount(count) {
    if (this.sentFor !== undefined && this.sentEl.textContent) this.sentEl.textContent = `Sent ✓ — ${count} result${count === 1 ? "" : "s"} in the class so far.`;
  }

  async submit() {
    const exp = this.client.experiment;
    const run = runResult(this.trace, this.catalogue, exp && exp.param);
    if (!exp || resultProblem(run, exp, this.labels)) return;
    this.submitBtn.disabled = true;
    try {
      const { count } = await this.client.submitResult(run);
      this.sentEl.textContent = `Sent ✓ — ${count} result${count === 1 ? "" : "s"} in the class so far.`;
      this.submitBtn.textContent = "Submit again (replaces yours)";
      this.bar.dataset.submitted = String(exp.id);
    } catch (e) {
      this.sentEl.textContent = `Not sent: ${e.message}`;
    } finally {
      this.submitBtn.disabled = false;
    }
  }

  // ------------------------------------------------------------------ leaving

  /** The class is over (reason: "ended" by the teacher, "expired", "not found"): the page
   * stays as it is, unlocked, and is the student's own; the bar says so until dismissed. */
  closed(reason) {
    window.removeEventListener("actlab:state", this.onState); // nothing follows or is saved any more
    this.lock(false);
    this.forget();
    this.bar.dataset.live = "ended";
    this.modeEl.textContent = reason === "ended" ? "The teacher ended the class" : "The class has ended";
    this.statusEl.textContent = "This page is yours now: carry on exploring.";
    this.toggleBtn.hidden = true;
    this.expEl.hidden = true;
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
