// Talking to the API: JSON with clear errors, aborting stale requests, and reading
// Server-Sent Events from a POST (fetch + stream reader; EventSource can't POST).

import { formulaQuery } from "./spec.js";

/** An error answer: `code` says what is wrong, `body` has its numbers (limit, fit_epochs, min …). */
export class ApiError extends Error {
  constructor(status, detail, field, code = "invalid", body = {}) {
    super(detail);
    this.status = status;
    this.field = field;
    this.code = code;
    this.body = body;
  }
}

export const errorFrom = (status, body) => new ApiError(status, body.detail || `${status}`, body.field || null, body.code || "invalid", body);

async function handle(response) {
  if (response.ok) return response.json();
  let body = {};
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  if (!body.detail) body.detail = `${response.status} ${response.statusText}`;
  // a busy server says when to come back: the header, or the body's number
  const retry = Number(response.headers.get("Retry-After"));
  if (body.retry_after === undefined && Number.isFinite(retry) && retry > 0) body.retry_after = retry;
  throw errorFrom(response.status, body);
}

/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts. */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(new DOMException("aborted", "AbortError"));
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => (clearTimeout(timer), reject(new DOMException("aborted", "AbortError"))), { once: true });
  });
}

/**
 * `attempt()` again while the server answers 503 busy: after its Retry-After, counting down
 * for the user — onWait(secondsLeft, attempt number) every second, onWait(0) when it tries
 * again — at most `tries` times in all. Aborting `signal` ends the wait (AbortError).
 */
export async function retryWhenBusy(attempt, { signal, onWait = () => {}, tries = 6 } = {}) {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 503 || n >= tries) throw err;
      const wait = Math.min(30, Math.max(1, Math.ceil(Number(err.body.retry_after) || 2)));
      for (let left = wait; left > 0; left--) {
        onWait(left, n);
        await pause(1000, signal);
      }
      onWait(0, n);
    }
  }
}

export async function getJSON(url, { signal } = {}) {
  return handle(await fetch(url, { signal, headers: { Accept: "application/json" } }));
}

export async function postJSON(url, body, { signal } = {}) {
  return handle(
    await fetch(url, {
      method: "POST",
      signal,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** POST `body` and call onEvent(name, data) for each Server-Sent Event until the stream ends. */
export async function postStream(url, body, onEvent, { signal } = {}) {
  const response = await fetch(url, {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  if (!response.ok) await handle(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

/** Keeps only the latest request of a kind alive: `latest.next()` aborts the previous one. */
export class Latest {
  constructor() {
    this.controller = null;
  }
  next() {
    if (this.controller) this.controller.abort();
    this.controller = new AbortController();
    return this.controller.signal;
  }
  abort() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }
}

export const isAbort = (err) => err && err.name === "AbortError";

// The catalogue and the vocabulary are asked for as the pages preload them (templates/_macros.html
// first_requests: no headers of their own), so that the preloaded answer is the one used.
let cataloguePromise = null;

/** The activation catalogue, fetched once: {list, byId, eps, formula (what typed formulas may use)};
 * lib/formula.js adds what the server said about the formulas seen. */
export function loadCatalogue() {
  if (!cataloguePromise) {
    cataloguePromise = fetch("/api/activations").then(handle).then((body) => ({
      list: body.activations,
      byId: Object.fromEntries(body.activations.map((a) => [a.id, a])),
      eps: body.saturation_eps,
      formula: body.formula,
      formulas: new Map(),
      described: new Map(),
    }));
  }
  return cataloguePromise;
}

let metaPromise = null;

/** The app's vocabulary (GET /api/meta), fetched once: settings, form, labels, panels, caps. */
export function loadMeta() {
  if (!metaPromise) metaPromise = fetch("/api/meta").then(handle);
  return metaPromise;
}

/** Query string for GET /api/curve (a typed formula: formula=…&b=value[:min:max:default]). */
export function curveUrl(spec, grid) {
  const isFormula = spec.formula !== undefined && spec.formula !== null;
  const q = new URLSearchParams(isFormula ? formulaQuery(spec) : { name: spec.name });
  if (!isFormula) for (const [k, v] of Object.entries(spec.params || {})) q.set(k, String(v));
  for (const [k, v] of Object.entries(grid)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/api/curve?${q}`;
}
