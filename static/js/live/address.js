// A live class's state and a page's address. The state is the teacher's page query without
// the page's own settings (meta.page_keys: the class itself) and without the theme (everyone
// keeps their own); on a lesson it starts with page=lessons/<slug>, with no page it is the
// explorer's (the server checks it against the same vocabulary: app/live/codes.py).

const LESSON_PATH = /^\/lessons\/([a-z0-9-]+)$/;
const PERSONAL = ["theme"];

const pairs = (query) => String(query || "").replace(/^\?/, "").split("&").filter(Boolean);
const keyOf = (pair) => pair.split("=", 1)[0];

/** The class state for a page's {path, query}; null on a page a class does not follow. */
export function classQuery({ path, query }, pageKeys) {
  const drop = new Set([...pageKeys, ...PERSONAL, "page"]);
  const kept = pairs(query).filter((p) => !drop.has(keyOf(p)));
  if (path === "/") return kept.join("&");
  const lesson = LESSON_PATH.exec(path);
  return lesson ? [`page=lessons/${lesson[1]}`, ...kept].join("&") : null;
}

/** The page showing a class state: {path, query}, the query carrying `theme` (this reader's own). Null when the page is not one a class follows. */
export function pageFor(state, theme) {
  let path = "/";
  const kept = [];
  for (const p of pairs(state)) {
    if (keyOf(p) === "page") path = `/${decodeURIComponent(p.slice(5))}`;
    else if (!PERSONAL.includes(keyOf(p))) kept.push(p);
  }
  if (path !== "/" && !LESSON_PATH.test(path)) return null;
  if (theme && theme !== "light") kept.push(`theme=${theme}`);
  return { path, query: kept.join("&") };
}

/** Whether two queries show the same thing (in any order, ignoring page settings and the theme). */
export function sameQuery(a, b, pageKeys) {
  const drop = new Set([...pageKeys, ...PERSONAL]);
  const norm = (q) => pairs(q).filter((p) => !drop.has(keyOf(p))).sort().join("&");
  return norm(a) === norm(b);
}
