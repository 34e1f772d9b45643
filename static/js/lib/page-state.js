// The one hook between a page (the explorer, a lesson) and what follows it (a live class,
// static/js/live/classroom.js), so that neither reaches into the other:
//   - the page calls announceState() each time its address changes; listeners get the window
//     event "actlab:state" with {path, query, draft} (query without "?"; draft: the middle of a
//     gesture the page itself does not act on yet, e.g. a network setting being dragged);
//   - the page says how it applies a state with onApplyState(fn); applyState(query) calls it
//     (or keeps the query until the page is ready).

/** The address as the page was opened, before the page rewrites it. */
export const OPENED = { search: location.search, hash: location.hash };

let latest = null;
let applier = null;
let pending = null;

/** Tell listeners the page's address (its state) changed. */
export function announceState({ draft = false } = {}) {
  latest = { path: location.pathname, query: location.search.replace(/^\?/, ""), draft };
  window.dispatchEvent(new CustomEvent("actlab:state", { detail: latest }));
}

/** The state the page last announced (null before its first). */
export function lastState() {
  return latest;
}

/** The page's way to show a state (a query string of its own settings). */
export function onApplyState(fn) {
  applier = fn;
  if (pending !== null) {
    const query = pending;
    pending = null;
    fn(query);
  }
}

/** Show `query` on this page (as soon as the page is ready). */
export function applyState(query) {
  if (applier) applier(query);
  else pending = query;
}
