// The teacher's side of a live class: every state the page announces goes to the class
// (LiveClient coalesces: the latest wins), and the class panel shows the join code, link and
// QR code, how many follow, pause and release, the class experiment and its results plot.

import { el } from "../lib/controls.js";
import { Panel } from "../lib/panel.js";
import { applyState, lastState } from "../lib/page-state.js";
import { currentTheme } from "../lib/theme.js";
import { classQuery, pageFor, sameQuery } from "./address.js";
import { LiveClient } from "./client.js";
import { classResultsFigure, classResultsTable } from "./results.js";

const POLL_MS = 1500; // students and results counts (the teacher does not hold an event stream: it would count as a student)
const DEFAULT_PROMPT = "Each of you: pick a leak, train, submit.";

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.select();
    return false;
  }
}

/** The parameters a class experiment can plot against: every activation parameter of the
 * catalogue, then the network form's numeric settings. [[id, label]]. */
export function experimentParams(meta, catalogue) {
  const acts = new Map();
  for (const a of catalogue.list) {
    for (const p of a.params) if (p.kind === "float") acts.set(p.id, [...(acts.get(p.id) || []), a.name]);
  }
  const out = [...acts].map(([id, names]) => [id, `${id} (${names.join(", ")})`]);
  for (const f of meta.form) {
    const info = meta.requests.train[f.key];
    if (!info.choices && (info.type === "number" || info.type === "integer")) out.push([f.key, f.label]);
  }
  return out;
}

/** Whether a URL's host is this computer itself (localhost, 127.x.x.x, ::1, 0.0.0.0): another device opening it reaches itself, not this server. */
function onlyThisComputer(url) {
  const host = new URL(url, location.href).hostname;
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || host === "0.0.0.0" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class Teacher {
  /** mine: {code, token}. ctx: {meta, catalogue, button, adopt (take the class's state: a teacher link), started (POST /api/classes's answer), forget, onStop}. */
  constructor(mine, { meta, catalogue, button, adopt = false, started = null, forget, onStop }) {
    this.code = mine.code;
    this.meta = meta;
    this.catalogue = catalogue;
    this.button = button;
    this.forget = forget;
    this.onStop = onStop;
    this.client = new LiveClient(mine.code, {
      token: mine.token,
      onError: (e, about) => this.onError(e, about && about.query !== undefined ? "send" : null, about),
      onSent: (query) => this.onSent(query),
      onRetrying: (e, seconds) => this.onRetrying(e, seconds),
    });
    this.links = {
      join: started ? started.join_url : `${location.origin}/join/${mine.code}`,
      qr: `/api/classes/${mine.code}/qr.svg`, // (from this page's origin, which the page may load from: the code it draws is the join link's)
      teacher: started ? started.teacher_url : `${location.origin}/?class=${mine.code}#teacher=${mine.token}`,
    };
    this.params = new Map(experimentParams(meta, catalogue));
    this.info = null;
    this.results = [];
    this.experiment = null;
    this.resultsKey = null;
    this.lastSent = started ? classQuery(lastState() || { path: location.pathname, query: location.search.slice(1) }, meta.page_keys) : null; // the view the class took last
    this.wanted = this.lastSent; // the latest view handed to the client (sent, or on its way)
    this.problem = null; // what the status line's error is about: "send" (a view not taken yet), "poll", or null
    this.buildPanel();
    this.onAnnounce = (e) => !e.detail.draft && this.send(e.detail);
    window.addEventListener("actlab:state", this.onAnnounce);
    // leaving for another page (a link, Present, Esc, the next lesson): its state goes now, not
    // once that page has loaded (the new page sends it again if it corrects it)
    this.onNavigate = (e) => {
      if (e.destination.sameDocument || e.downloadRequest || e.formData) return;
      const url = new URL(e.destination.url);
      if (url.origin === location.origin) this.send({ path: url.pathname, query: url.search.slice(1) }, { now: true });
    };
    if (window.navigation) window.navigation.addEventListener("navigate", this.onNavigate);
    if (button) {
      this.buttonTitle = button.title;
      this.onButton = () => this.toggle();
      button.addEventListener("click", this.onButton);
      button.setAttribute("aria-controls", "live-panel");
      button.setAttribute("aria-expanded", "false");
      button.classList.add("teaching");
    }
    this.begin(adopt);
  }

  async begin(adopt) {
    if (adopt) {
      // a teacher link opened here: carry on from the class's view
      try {
        const info = await this.client.info();
        this.lastSent = this.wanted = info.query;
        const page = pageFor(info.query, currentTheme());
        if (page && page.path !== location.pathname) {
          location.replace(`${page.path}${page.query ? `?${page.query}` : ""}`);
          return;
        }
        if (page && !sameQuery(location.search, page.query, this.meta.page_keys)) applyState(page.query);
      } catch (e) {
        this.onError(e);
      }
    } else if (lastState()) {
      this.send(lastState()); // (else the page's first announcement sends it: as the page shows it, a link's mistakes corrected)
    }
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** The page's state to the class (only when it changed). */
  send(state, { now = false } = {}) {
    const query = classQuery(state, this.meta.page_keys);
    if (query === null || query === this.wanted) return;
    this.wanted = query;
    // (refusals come as the client's "error" events; leaving, the next page sends its own view)
    this.client.setState(query, { now }).catch(() => {});
  }

  /** The class took a view: the students have it, and a problem sending is over. */
  onSent(query) {
    this.lastSent = query;
    if (this.problem && !this.panel.dataset.ended) this.say("");
  }

  /** A view the class could not take yet: it goes again (the latest by then) after `seconds`. */
  onRetrying(e, seconds) {
    if (this.panel.dataset.ended) return;
    const why = e.status === 429 ? "too many changes at once" : e.code === "live_store_unavailable" ? "the live-class store is not reachable" : "the server is not reachable";
    this.say(`The students do not have your latest view yet (${why}): retrying every ${Math.ceil(seconds)} s…`, true, "send");
  }

  /** A refusal. `problem`: what it is about ("send": a view, "poll": reading the class), so that the next success clears it. */
  onError(e, problem = null, { query } = {}) {
    if (e.code === "class_not_found") return this.ended("The class is no longer in the live-class store (it expired, or the store was restarted): start a new one.");
    if (e.code === "class_ended") return this.ended("The class has been ended (from its teacher link elsewhere): start a new one.");
    if (e.status === 401 || e.status === 403) return this.ended("This tab's teacher link does not control this class.");
    if (query !== undefined && this.wanted === query) this.wanted = this.lastSent; // refused: the same view announced again goes again
    if (problem === "poll") {
      if (this.problem !== "send") this.say(`Could not read the class: ${e.message}`, true, "poll"); // (a view waiting to go says more)
      return;
    }
    this.say(e.status === 429 ? "Too many changes at once: the latest view is sent a moment later." : `The class did not take that: ${e.message}`, true, problem);
  }

  // ------------------------------------------------------------------ the panel

  buildPanel() {
    const m = this.meta;
    const id = (s) => `live-${s}`;
    this.codeEl = el("p", { class: "live-code", id: id("code"), text: this.code });
    this.countEl = el("p", { class: "live-count", "aria-live": "polite", text: "Waiting for students…" });
    this.statusEl = el("p", { class: "live-status", "aria-live": "polite" });
    this.joinEl = el("a", { target: "_blank", rel: "noopener" });
    this.qrEl = el("img", { class: "live-qr", src: this.links.qr, width: 200, height: 200 });
    this.hostEl = el("strong");
    this.loopbackEl = el(
      "p",
      { class: "live-loopback", id: id("loopback"), role: "note", hidden: true },
      "Students' phones and laptops cannot open this link: ",
      this.hostEl,
      " is this computer itself. Restart the server with ",
      el("code", { text: "--host 0.0.0.0" }),
      " and ",
      el("code", { text: "ACTLAB_PUBLIC_URL" }),
      " set to this machine's address as the students reach it (e.g. ",
      el("code", { text: "http://192.168.1.20:8000" }),
      "), then start a new class.",
    );
    this.showJoin(this.links.join);

    // pause and release
    this.message = el("input", { type: "text", id: id("message"), maxlength: m.live.max_message, placeholder: "Eyes on the teacher's screen: the class is paused." });
    this.pauseBtn = el("button", { type: "button", id: id("pause"), text: "Pause the class", onclick: () => this.togglePause() });
    this.pausedEl = el("p", { class: "live-state", hidden: true, text: "Paused: the students' controls are locked." });

    // the class experiment
    this.prompt = el("input", { type: "text", id: id("prompt"), maxlength: m.live.max_prompt, value: DEFAULT_PROMPT });
    this.collect = Object.entries(m.live.numbers).map(([n, label]) => {
      const box = el("input", { type: "checkbox", value: n, checked: true });
      return { n, box, label: el("label", { class: "check" }, box, ` ${label}`) };
    });
    this.param = el("select", { id: id("param") }, el("option", { value: "", text: "none: one column per activation" }), ...[...this.params].map(([v, t]) => el("option", { value: v, text: t })));
    this.param.value = this.params.has("leak") ? "leak" : "";
    this.expBtn = el("button", { type: "button", id: id("experiment"), class: "primary", text: "Open the experiment", onclick: () => this.toggleExperiment() });
    this.expForm = el(
      "div",
      { class: "live-exp-form" },
      el("label", { for: id("prompt"), text: "What each student should do" }),
      this.prompt,
      el("fieldset", { class: "live-collect" }, el("legend", { text: "Numbers to collect" }), ...this.collect.map((c) => c.label)),
      el("label", { for: id("param"), text: "Plot against (the parameter students choose)" }),
      this.param,
    );
    this.expState = el("p", { class: "live-state", "aria-live": "polite" });
    this.yChoice = el("select", { id: id("y"), onchange: () => this.drawResults() });
    const plot = el("div", { class: "panel", "data-panel": "class-results" });
    this.plotPanel = new Panel(plot, { ...m.panels["class-results"], name: "class-results" });

    // ending: a second click confirms (students cannot be brought back)
    this.endBtn = el("button", { type: "button", id: id("end"), text: "End the class…", onclick: () => this.askToEnd(true) });
    this.confirmEnd = el(
      "div",
      { class: "live-row live-confirm", role: "group", "aria-label": "End the class?", hidden: true },
      el("span", { text: "End it for everyone?" }),
      el("button", { type: "button", id: id("end-yes"), class: "danger", text: "End the class", onclick: () => this.end() }),
      el("button", { type: "button", text: "Keep teaching", onclick: () => this.askToEnd(false) }),
    );

    const link = el("input", { type: "text", readonly: true, value: this.links.teacher, "aria-label": "Teacher link" });
    const copied = el("span", { class: "muted", "aria-live": "polite" });
    this.panel = el(
      "aside",
      { class: "live-panel", id: "live-panel", "aria-labelledby": id("title"), hidden: true },
      el("header", {}, el("h2", { id: id("title"), text: "Live class" }), el("button", { type: "button", class: "live-close", "aria-label": "Close the class panel", text: "×", onclick: () => this.close() })),
      el(
        "section",
        { class: "live-join", "aria-label": "Join" },
        el("p", { class: "muted", text: "Students join with this code" }),
        this.codeEl,
        el("p", {}, "at ", this.joinEl, " — or scan:"),
        this.loopbackEl,
        this.qrEl,
        this.countEl,
      ),
      el("section", { "aria-labelledby": id("pause-title") }, el("h3", { id: id("pause-title"), text: "Pause" }), el("label", { for: id("message"), text: "Message students see while their controls are locked" }), this.message, el("div", { class: "live-row" }, this.pauseBtn), this.pausedEl),
      el(
        "section",
        { "aria-labelledby": id("exp-title") },
        el("h3", { id: id("exp-title"), text: "Class experiment" }),
        this.expForm,
        el("div", { class: "live-row" }, this.expBtn),
        this.expState,
        el("label", { class: "live-y", for: id("y") }, "Plot ", this.yChoice),
        plot,
      ),
      el(
        "details",
        { class: "live-teacher-link" },
        el("summary", { text: "Teacher link (reopen this class on another device)" }),
        el("p", { class: "muted", text: "Keep it to yourself: whoever opens it controls the class." }),
        link,
        el("div", { class: "live-row" }, el("button", { type: "button", text: "Copy teacher link", onclick: async () => (copied.textContent = (await copy(this.links.teacher, link)) ? " Copied." : " Press Ctrl+C to copy.") }), copied),
      ),
      this.statusEl,
      el(
        "section",
        { class: "live-ending", "aria-labelledby": id("end-title") },
        el("h3", { id: id("end-title"), text: "Ending" }),
        el("p", { class: "muted", text: "End the class: every student is told it is over and keeps a page of their own; the code stops working." }),
        el("div", { class: "live-row" }, this.endBtn),
        this.confirmEnd,
        el("p", { class: "muted", text: "Stop teaching in this tab: the class goes on for the students, as it is; the teacher link reopens it here or on another device." }),
        el("div", { class: "live-row" }, el("button", { type: "button", class: "live-stop", text: "Stop teaching in this tab", onclick: () => this.stop() })),
      ),
    );
    document.body.append(this.panel);
    window.addEventListener("resize", () => this.panel.hidden || this.placeBelowTopBar());
    // presenting (the top bar is hidden): the code and a way to the panel
    this.chip = el("div", { class: "live-bar live-teacher-chip" }, el("span", { class: "live-dot", "aria-hidden": "true" }), this.chipText = el("span", { text: `Live class ${this.code}` }), el("button", { type: "button", text: "Class panel", onclick: () => this.toggle() }));
    document.querySelector("header.topbar").after(this.chip);
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    });
    this.drawResults();
  }

  /** The join link as the server writes it (ACTLAB_PUBLIC_URL, else its bind address), with a
   * warning when no other device can open it. */
  showJoin(url) {
    this.links.join = url;
    this.joinEl.href = url;
    this.joinEl.textContent = url.replace(/^https?:\/\//, "");
    this.qrEl.alt = `QR code of the join link, ${url}`;
    const loopback = onlyThisComputer(url);
    this.loopbackEl.hidden = !loopback;
    this.hostEl.textContent = new URL(url).host;
    if (loopback) this.joinEl.setAttribute("aria-describedby", this.loopbackEl.id);
    else this.joinEl.removeAttribute("aria-describedby");
  }

  open() {
    this.placeBelowTopBar();
    this.panel.hidden = false;
    if (this.button) this.button.setAttribute("aria-expanded", "true");
    this.drawResults(); // sized now that it shows
    this.panel.querySelector(".live-close").focus();
  }

  /** The drawer starts under a sticky top bar, so the bar's buttons (this panel's toggle among them) stay in reach. */
  placeBelowTopBar() {
    const bar = document.querySelector("header.topbar");
    const sticky = bar && getComputedStyle(bar).position === "sticky";
    this.panel.style.top = sticky ? `${Math.round(bar.getBoundingClientRect().bottom)}px` : "";
  }

  close() {
    this.panel.hidden = true;
    if (this.button) {
      this.button.setAttribute("aria-expanded", "false");
      this.button.focus();
    }
  }

  toggle() {
    if (this.panel.hidden) this.open();
    else this.close();
  }

  say(text, error = false, problem = null) {
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle("error", error);
    this.problem = problem;
  }

  // ------------------------------------------------------------------ the class's state

  async poll() {
    if (document.hidden && this.info) return;
    let info;
    try {
      info = await this.client.info();
    } catch (e) {
      if (e.status) this.onError(e, "poll");
      return;
    }
    if (this.problem === "poll") this.say("");
    this.info = info;
    this.show(info);
    const exp = info.experiment;
    // the revision changes with every result stored: a resubmission replaces one, same count
    const key = exp ? `${exp.id}:${info.results_revision}` : "none";
    if (key !== this.resultsKey) {
      this.resultsKey = key;
      await this.loadResults();
    }
  }

  show(info) {
    this.codeEl.textContent = info.display_code;
    if (info.join_url !== this.links.join) this.showJoin(info.join_url); // (a reopened class's link, as the server writes it)
    const n = info.students;
    const away = info.exploring || 0;
    const count = n === 0 ? "No students yet" : away === 0 ? `${n} student${n === 1 ? "" : "s"} following` : `${n} student${n === 1 ? "" : "s"} · ${n - away} following, ${away} exploring`;
    this.countEl.textContent = count;
    this.chipText.textContent = `Live class ${info.display_code} · ${n}`;
    if (this.button) {
      this.button.textContent = `Live ${info.display_code} · ${n}`;
      this.button.title = `Live class ${info.display_code}: ${count}. Open the class panel.`;
    }
    this.paused = info.paused;
    this.pauseBtn.textContent = info.paused ? "Release the class" : "Pause the class";
    this.pausedEl.hidden = !info.paused;
    this.panel.dataset.paused = info.paused ? "1" : "0";
    this.showExperiment(info.experiment);
  }

  showExperiment(exp) {
    this.experiment = exp;
    const open = Boolean(exp && exp.open);
    this.expForm.inert = open;
    this.expForm.classList.toggle("locked", open);
    this.expBtn.textContent = open ? "Close the experiment" : "Open the experiment";
    this.expBtn.classList.toggle("primary", !open);
    this.panel.dataset.experiment = open ? "open" : exp ? "closed" : "none";
    if (!exp) this.expState.textContent = "No experiment yet: the students' results appear below as they submit.";
    else {
      const n = this.info ? this.info.results : this.results.length;
      this.expState.textContent = `${open ? "Open" : "Closed"}: “${exp.prompt}” — ${n} result${n === 1 ? "" : "s"}.`;
    }
    const collect = exp ? exp.collect : [];
    const keys = [...this.yChoice.options].map((o) => o.value).join(",");
    if (keys !== collect.join(",")) {
      this.yChoice.replaceChildren(...collect.map((c) => el("option", { value: c, text: this.meta.live.numbers[c] })));
    }
    this.yChoice.closest("label").hidden = collect.length < 2;
  }

  async loadResults() {
    try {
      const r = await this.client.getResults();
      this.results = r.results;
      this.showExperiment(r.experiment);
    } catch (e) {
      if (e.status) this.onError(e);
      return;
    }
    this.drawResults();
  }

  drawResults() {
    if (this.panel.hidden) return;
    const exp = this.experiment;
    const number = this.yChoice.value || (exp ? exp.collect[0] : "test_accuracy");
    const param = exp ? exp.param : null;
    const paramLabel = param ? (this.params.get(param) || param).split(" (")[0] : "";
    const numberLabel = this.meta.live.numbers[number] || number;
    const nameOf = (id) => (this.catalogue.byId[id] ? this.catalogue.byId[id].name : id);
    const figure = classResultsFigure(this.results, { param, paramLabel, number, numberLabel, nameOf, narrow: matchMedia("(max-width: 760px)").matches });
    this.plotPanel.setTitle(exp ? `Class results: ${numberLabel}${param ? ` against ${paramLabel}` : ""}` : this.meta.panels["class-results"].title);
    this.plotPanel.render(figure, {
      table: classResultsTable(this.results, param, exp ? exp.collect : []),
      json: { experiment: exp, results: this.results },
      note: this.results.length ? `${this.results.length} student${this.results.length === 1 ? "" : "s"}; nicknames are shown only here.` : "",
    });
  }

  // ------------------------------------------------------------------ actions

  async togglePause() {
    this.pauseBtn.disabled = true;
    try {
      if (this.paused) await this.client.release();
      else await this.client.pause(this.message.value.trim() || undefined);
      this.say("");
      await this.poll();
    } catch (e) {
      this.onError(e);
    } finally {
      this.pauseBtn.disabled = false;
    }
  }

  async toggleExperiment() {
    this.expBtn.disabled = true;
    try {
      if (this.experiment && this.experiment.open) {
        await this.client.closeExperiment();
      } else {
        const collect = this.collect.filter((c) => c.box.checked).map((c) => c.n);
        if (!collect.length) {
          this.say("Tick at least one number to collect.", true);
          return;
        }
        const prompt = this.prompt.value.trim() || DEFAULT_PROMPT;
        await this.client.setExperiment({ prompt, collect, param: this.param.value || null });
        this.results = [];
      }
      this.say("");
      await this.poll();
      if (this.experiment && this.experiment.open) this.plotPanel.root.scrollIntoView({ block: "nearest" }); // the results are what matters now
    } catch (e) {
      this.onError(e);
    } finally {
      this.expBtn.disabled = false;
    }
  }

  askToEnd(on) {
    this.confirmEnd.hidden = !on;
    this.endBtn.hidden = on;
    (on ? this.confirmEnd.querySelector("button") : this.endBtn).focus();
  }

  /** End the class for everyone: the students are told, and the code answers 410 from now on. */
  async end() {
    for (const b of this.confirmEnd.querySelectorAll("button")) b.disabled = true;
    try {
      await this.client.end();
      this.ended("You ended the class: every student was told, and its code no longer works. “Live class” starts a new one.", false);
      this.panel.querySelector(".live-stop").focus(); // the button pressed is gone
    } catch (e) {
      this.onError(e);
    } finally {
      for (const b of this.confirmEnd.querySelectorAll("button")) b.disabled = false;
    }
  }

  /** Stop teaching from this tab (the class goes on until it idles out; the teacher link reopens it). */
  stop() {
    clearInterval(this.timer);
    window.removeEventListener("actlab:state", this.onAnnounce);
    if (window.navigation) window.navigation.removeEventListener("navigate", this.onNavigate);
    this.forget();
    this.panel.remove();
    this.chip.remove();
    if (this.button) {
      this.button.removeEventListener("click", this.onButton);
      this.button.classList.remove("teaching");
      this.button.removeAttribute("aria-expanded");
      this.button.textContent = "Live class";
      this.button.title = this.buttonTitle;
      this.button.focus();
    }
    if (this.onStop) this.onStop();
  }

  /** The class is over (ended here or elsewhere, or expired): the panel says so and only closes. */
  ended(text, error = true) {
    clearInterval(this.timer);
    window.removeEventListener("actlab:state", this.onAnnounce);
    if (window.navigation) window.navigation.removeEventListener("navigate", this.onNavigate);
    this.say(text, error);
    this.forget();
    if (this.experiment && this.experiment.open) this.showExperiment({ ...this.experiment, open: false }); // (it said "Open: …")
    this.yChoice.disabled = true;
    this.pausedEl.hidden = true; // (the students' pages are theirs now, unlocked)
    this.panel.dataset.ended = "1";
    for (const part of this.panel.querySelectorAll("section, details")) part.inert = true;
    const close = this.panel.querySelector(".live-stop");
    close.textContent = "Close (a new class starts from “Live class”)";
    close.closest(".live-ending").inert = false;
    close.closest(".live-ending").replaceChildren(el("div", { class: "live-row" }, close));
    this.countEl.textContent = "The class has ended"; // (not the last count: nobody follows it now)
    this.chipText.textContent = "Live class ended";
    if (this.button) this.button.textContent = "Live class ended";
  }
}
