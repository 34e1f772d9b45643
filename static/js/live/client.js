// LiveClient: follow a live class (students) or run one (the teacher), over the
// /api/classes API. Self-contained: no other module of the app is needed.
//
//   const live = new LiveClient("ABCDEFGH", { onState: (query) => applyUrlState(query) });
//   live.connect();            // server-sent events; every change arrives in order
//   live.unfollow(); live.follow();          // break away / rejoin (rejoin applies the latest view)
//   await live.submitResult({ activation: "leaky_relu(leak=0.1)", params: { leak: 0.1 }, test_accuracy: 0.93 });
//
//   const started = await LiveClient.start({ query: location.search.slice(1) });   // the teacher
//   const teacher = new LiveClient(started.code, { token: started.teacher_token });
//   teacher.setState("fn=relu");   // coalesced: one request in flight, the latest value wins;
//                                  // retried until taken ("sent" when it is, "retrying" meanwhile)
//   await teacher.pause("Eyes up here"); await teacher.release();
//   await teacher.setExperiment({ prompt: "Pick a leak, train, submit", param: "leak" });
//   const { results } = await teacher.getResults();
//   await teacher.end();       // for everyone: each student's onClosed("ended")

export const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 8;
export const NICKNAME_KEY = "actlab-live-nickname";
const STUDENT_KEY = "actlab-live-student-";
const MIN_STATE_INTERVAL_MS = 60; // the server takes at most 20 changes a second per class
const EVENT_KINDS = ["snapshot", "state", "pause", "release", "experiment", "results", "closed", "error"];

/** The canonical code for what a person typed ("abcd-efgh" → "ABCDEFGH"), or "". */
export function normaliseCode(text) {
  const code = String(text || "").replace(/[\s-]/g, "").toUpperCase();
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : "";
}

/** The teacher token carried in a teacher link's fragment (#teacher=…), or null. */
export function teacherTokenFromHash(hash = window.location.hash) {
  const m = /(?:^#|&)teacher=([A-Za-z0-9_-]{20,100})/.exec(hash || "");
  return m ? m[1] : null;
}

/** An API refusal: the app's error shape ({detail, field, code}) plus the HTTP status. */
export class LiveError extends Error {
  constructor(status, body, retryAfterS = null) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || null;
    this.field = (body && body.field) || null;
    this.retryAfterS = retryAfterS;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A refusal that passes: too many changes at once, the class's store out of reach, or no answer at all. */
const retryable = (e) => !(e instanceof LiveError) || e.status === 429 || e.code === "live_store_unavailable";

export class LiveClient {
  /**
   * code: the class code (any case, hyphen optional). Options: token (the teacher token:
   * makes this the teacher's client), base (URL prefix, default this origin), nickname
   * (default: the one remembered by the join page), follow (default true), and callbacks
   * onState(query, {seq}), onPause(message), onRelease(), onExperiment(experiment|null),
   * onResults(count, {revision}), onSnapshot(info), onClosed(reason: "ended" by the teacher, "expired" or
   * "not found"), onStatus(status), onError(error, {query}: the teacher's state it refused, if one),
   * onSent(query) (the class took the teacher's state), onRetrying(error, seconds) (it is sent
   * again after that long: the class is busy or its store out of reach).
   */
  constructor(code, options = {}) {
    this.code = normaliseCode(code) || String(code);
    this.token = options.token || null;
    this.base = options.base || "";
    this.nickname = options.nickname !== undefined ? options.nickname : storedNickname();
    this.following = options.follow !== false;
    this.paused = false;
    this.message = "";
    this.experiment = null;
    this.synced = false; // a snapshot has come: what the class is (its experiment above) is known
    this.query = null; // the teacher's latest view, followed or not
    this.seq = 0;
    this.students = 0;
    this.connection = null; // this student's event stream, as the class counts it (its snapshot says)
    this.results = 0;
    this.resultsRevision = 0; // grows with every result stored, a resubmission too
    this.status = "idle"; // idle | connecting | live | reconnecting | closed
    this._handlers = {};
    for (const [opt, type] of [["onState", "state"], ["onPause", "pause"], ["onRelease", "release"], ["onExperiment", "experiment"],
      ["onResults", "results"], ["onSnapshot", "snapshot"], ["onClosed", "closed"], ["onStatus", "status"], ["onError", "error"], ["onFollow", "follow"],
      ["onSent", "sent"], ["onRetrying", "retrying"]]) {
      if (typeof options[opt] === "function") this.on(type, options[opt]);
    }
    this._source = null;
    this._pendingQuery = null;
    this._stateLoop = null;
  }

  get isTeacher() {
    return Boolean(this.token);
  }

  /** Subscribe to "state", "pause", "release", "experiment", "results", "snapshot",
   * "closed", "status", "follow", "error", "sent" or "retrying"; returns a function that unsubscribes. */
  on(type, fn) {
    (this._handlers[type] ||= new Set()).add(fn);
    return () => this._handlers[type].delete(fn);
  }

  _emit(type, ...args) {
    for (const fn of this._handlers[type] || []) {
      try {
        fn(...args);
      } catch (e) {
        console.error(`live class ${type} handler failed`, e);
      }
    }
  }

  _setStatus(status) {
    if (status !== this.status) {
      this.status = status;
      this._emit("status", status);
    }
  }

  _url(path = "") {
    return `${this.base}/api/classes/${encodeURIComponent(this.code)}${path}`;
  }

  // ------------------------------------------------------------------ following

  /** Open the event stream (EventSource reconnects by itself and gets a fresh snapshot). */
  connect() {
    if (this._source) return this;
    this._setStatus("connecting");
    const source = new EventSource(this._url("/events"));
    this._source = source;
    for (const kind of EVENT_KINDS) source.addEventListener(kind, (e) => this._onEvent(kind, e));
    source.onopen = () => this._setStatus("live");
    source.onerror = () => this._onStreamError(source);
    return this;
  }

  disconnect() {
    if (this._source) this._source.close();
    this._source = null;
    this._setStatus("closed");
  }

  _reconnect() {
    if (this._source) this._source.close();
    this._source = null;
    this.connect();
  }

  async _onStreamError(source) {
    if (source !== this._source) return;
    if (source.readyState !== EventSource.CLOSED) {
      this._setStatus("reconnecting"); // the browser retries by itself
      return;
    }
    // the server refused the stream (an expired class, a full one, too many tries): ask why
    try {
      await this.info();
      await sleep(2000);
      if (source === this._source) this._reconnect();
    } catch (e) {
      if (source !== this._source) return;
      if (e.code === "class_not_found" || e.code === "class_ended") {
        this._closed(e.code === "class_ended" ? "ended" : "not found");
      } else {
        this._emit("error", e);
        await sleep(e.retryAfterS ? e.retryAfterS * 1000 : 5000);
        if (source === this._source) this._reconnect();
      }
    }
  }

  _onEvent(kind, e) {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    if (kind === "snapshot") {
      this.seq = data.seq;
      this.query = data.query;
      this.paused = data.paused;
      this.message = data.message;
      this.experiment = data.experiment;
      this.students = data.students;
      this.results = data.results;
      this.resultsRevision = data.results_revision;
      this.connection = data.connection || null; // this stream, as the class counts it
      this.synced = true;
      if (!this.following) this._tellFollowing(); // (a new stream: counted as following until told)
      this._emit("snapshot", data);
      if (this.following) this._emit("state", data.query, { seq: data.seq });
      if (data.paused) this._emit("pause", data.message);
      else this._emit("release");
      this._emit("experiment", data.experiment);
      return;
    }
    if (kind === "error") {
      this._emit("error", new LiveError(503, data));
      return;
    }
    if (kind === "closed") {
      this._closed(data.reason);
      return;
    }
    if (kind === "results") {
      this.results = data.count;
      this.resultsRevision = data.revision; // changes on a resubmission too (the count may not)
      this._emit("results", data.count, { revision: data.revision });
      return;
    }
    if (typeof data.seq === "number") {
      if (data.seq <= this.seq) return; // already known
      if (data.seq > this.seq + 1) {
        this._reconnect(); // missed a change: the snapshot on reconnecting brings it
        return;
      }
      this.seq = data.seq;
    }
    if (kind === "state") {
      this.query = data.query;
      if (this.following) this._emit("state", data.query, { seq: data.seq });
    } else if (kind === "pause") {
      this.paused = true;
      this.message = data.message;
      this._emit("pause", data.message);
    } else if (kind === "release") {
      this.paused = false;
      this.message = "";
      this._emit("release");
    } else if (kind === "experiment") {
      this.experiment = data.experiment;
      this.results = 0;
      this._emit("experiment", data.experiment);
    }
  }

  /** The class is gone: nothing is locked or open any more. */
  _closed(reason) {
    this.disconnect();
    this.paused = false;
    this.message = "";
    this.experiment = null;
    this._emit("closed", reason);
  }

  /** Break away: the teacher's changes are no longer applied (pause still arrives). */
  unfollow() {
    if (!this.following) return;
    this.following = false;
    this._emit("follow", false);
    this._tellFollowing();
  }

  /** The teacher's count says who follows and who explores: the class is told of each change. */
  _tellFollowing() {
    if (!this.connection || this.isTeacher) return;
    this._fetch("PUT", "/following", { connection: this.connection, following: this.following }).catch(() => {}); // only a count
  }

  /** Rejoin with one click: the teacher's latest view is applied at once. */
  follow() {
    if (this.following) return;
    this.following = true;
    this._emit("follow", true);
    this._tellFollowing();
    if (this.query !== null) this._emit("state", this.query, { seq: this.seq });
  }

  // ------------------------------------------------------------------ requests

  async _fetch(method, path, body = undefined, auth = false, keepalive = false) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) {
      if (!this.token) throw new LiveError(401, { detail: "only the teacher can do this", code: "teacher_token_missing" });
      headers.Authorization = `Bearer ${this.token}`;
    }
    const r = await fetch(this._url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", keepalive });
    let data = null;
    try {
      data = await r.json();
    } catch {
      /* no JSON body */
    }
    if (!r.ok) throw new LiveError(r.status, data, Number(r.headers.get("Retry-After")) || null);
    return data;
  }

  /** The class's public state: {code, display_code, seq, query, paused, message, experiment, students, results}. */
  info() {
    return this._fetch("GET", "");
  }

  /** A student's result for the open experiment → {count}: the numbers it collects, no other
   * (the server refuses one it does not collect). Resubmitting replaces it. */
  submitResult({ activation = "", params = {}, ...numbers } = {}) {
    const body = { activation, params, student: studentKey(this.code) };
    const collect = (this.experiment && this.experiment.collect) || ["test_accuracy", "dead_fraction", "final_loss"];
    for (const n of collect) body[n] = numbers[n] ?? null;
    if (this.experiment && this.experiment.id) body.experiment = this.experiment.id;
    if (this.nickname) body.nickname = String(this.nickname).slice(0, 24);
    return this._fetch("POST", "/results", body);
  }

  // ------------------------------------------------------------------ the teacher

  /** Start a class → {code, display_code, join_url, qr_url, teacher_token, teacher_url, idle_expiry_s, max_students}. */
  static async start({ query = "", base = "" } = {}) {
    const r = await fetch(`${base}/api/classes`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: String(query).replace(/^\?/, "") }),
    });
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new LiveError(r.status, data, Number(r.headers.get("Retry-After")) || null);
    return data;
  }

  /** Send the teacher's view. Calls while a request is in flight coalesce: the latest wins,
   * at most one request every 60 ms. A view the class could not take yet (429, or 503 with
   * live_store_unavailable: its store is out of reach; or no answer) is sent again after the
   * server's Retry-After — the latest view by then — until the class takes one ("sent"); any
   * other refusal is an "error" naming the query, and the views after it still go. Resolves
   * when the latest view has been sent (rejects if the class refused it). `now`: at once, in a
   * request that outlives this page (the teacher's page is going there). */
  setState(query, { now = false } = {}) {
    query = String(query).replace(/^\?/, "");
    if (now) {
      this._pendingQuery = null;
      return this._putState(query).catch((e) => {
        if (!retryable(e)) throw e;
        return this.setState(query); // (the page did not leave after all: the loop tries again)
      });
    }
    this._pendingQuery = query;
    if (!this._stateLoop) {
      this._stateLoop = this._sendStates().finally(() => {
        this._stateLoop = null;
      });
    }
    return this._stateLoop;
  }

  async _putState(query) {
    await this._fetch("PUT", "/state", { query }, true, true); // (kept alive: the page may be leaving)
    this._emit("sent", query);
  }

  async _sendStates() {
    let refused = null; // the refusal of the latest view sent, if it was refused
    while (this._pendingQuery !== null) {
      const query = this._pendingQuery;
      this._pendingQuery = null;
      const t0 = performance.now();
      try {
        await this._putState(query);
        refused = null;
      } catch (e) {
        if (retryable(e)) {
          if (this._pendingQuery === null) this._pendingQuery = query; // try the latest again
          const wait = e.retryAfterS || (e.status === 429 ? 0.2 : 2);
          this._emit("retrying", e, wait);
          await sleep(wait * 1000);
          continue;
        }
        refused = e;
        this._emit("error", e, { query });
      }
      const wait = MIN_STATE_INTERVAL_MS - (performance.now() - t0);
      if (wait > 0 && this._pendingQuery !== null) await sleep(wait);
    }
    if (refused) throw refused;
  }

  /** Lock the students' controls with a message (the server has a default). */
  pause(message = undefined) {
    return this._fetch("POST", "/pause", message === undefined ? undefined : { message }, true);
  }

  release() {
    return this._fetch("POST", "/release", undefined, true);
  }

  /** Open a class experiment: {prompt, collect: ["test_accuracy", "dead_fraction", "final_loss"], param}.
   * A new one starts its results afresh. */
  setExperiment({ prompt, collect = undefined, param = null }) {
    const body = { prompt, param };
    if (collect) body.collect = collect;
    return this._fetch("POST", "/experiment", body, true);
  }

  /** Close the experiment: no more results; those in stay readable. */
  closeExperiment() {
    return this._fetch("POST", "/experiment", { prompt: null }, true);
  }

  /** End the class for everyone → {code, ended}: each follower is told ("closed", "ended"),
   * and the code answers 410 (class_ended) from then on. */
  end() {
    return this._fetch("POST", "/end", undefined, true);
  }

  /** {experiment, count, results: [{nickname, activation, params, test_accuracy, dead_fraction, final_loss}]} */
  getResults() {
    return this._fetch("GET", "/results", undefined, true);
  }
}

function storedNickname() {
  try {
    return localStorage.getItem(NICKNAME_KEY) || null;
  } catch {
    return null;
  }
}

/** A random id per class for this browser tab, so a resubmitted result replaces the first. */
function studentKey(code) {
  const fresh = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let key = sessionStorage.getItem(STUDENT_KEY + code);
    if (!key) {
      key = fresh();
      sessionStorage.setItem(STUDENT_KEY + code, key);
    }
    return key;
  } catch {
    return fresh();
  }
}
