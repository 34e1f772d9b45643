// Live classes on the explorer and the lesson pages (issue 18). This tab is in a class when
// its address named one (?class=CODE, from the join page; with #teacher=TOKEN, the teacher's
// link) or when it started one ("Live class" in the top bar); it remembers the class for the
// tab (sessionStorage), so moving between the explorer and the lessons keeps it. The teacher's
// page sends each state it announces (lib/page-state.js); a student's page shows each state
// the teacher sends. Nothing here reaches into the views: the page-state hook is the contact.

import { loadCatalogue, loadMeta } from "../lib/api.js";
import { el } from "../lib/controls.js";
import { lastState, OPENED } from "../lib/page-state.js";
import { classQuery } from "./address.js";
import { LiveClient, normaliseCode, teacherTokenFromHash } from "./client.js";

// the teacher's and the student's code load when a class starts or is joined
const teacherModule = () => import("./teacher.js");
const studentModule = () => import("./student.js");

const STORE = "actlab-live-class"; // {code, token?}: a token means this tab teaches the class

function recall() {
  try {
    const mine = JSON.parse(sessionStorage.getItem(STORE) || "null");
    return mine && normaliseCode(mine.code) ? mine : null;
  } catch {
    return null;
  }
}

function remember(mine) {
  try {
    if (mine) sessionStorage.setItem(STORE, JSON.stringify(mine));
    else sessionStorage.removeItem(STORE);
  } catch {
    /* storage blocked: the class lasts as long as this page */
  }
  return mine;
}

/** This tab's class from the address it was opened with, else the one it remembers. */
function whoAmI() {
  const code = normaliseCode(new URLSearchParams(OPENED.search).get("class") || "");
  const token = teacherTokenFromHash(OPENED.hash);
  if (token && location.hash) history.replaceState(history.state, "", `${location.pathname}${location.search}`); // never leave the secret on screen
  const mine = recall();
  if (code && token) return { mine: remember({ code, token }), adopt: true };
  if (code && !(mine && mine.token && mine.code === code)) return { mine: remember({ code, following: true }), joined: true }; // a student's link
  return { mine };
}

/** The page's state as it stands (what a class started here begins with). */
function pageState() {
  return lastState() || { path: location.pathname, query: location.search.replace(/^\?/, "") };
}

/** A message under the top bar, until dismissed (e.g. a class that could not start). */
function problem(text) {
  const box = el("div", { class: "live-bar live-problem", role: "alert" }, el("span", { text }), el("button", { type: "button", text: "Dismiss", onclick: () => box.remove() }));
  document.querySelector("header.topbar").after(box);
}

/** The "Live class" button of a page not in a class: start one, teach it from this tab. */
function offerToStart(button, context) {
  button.addEventListener("click", async function start() {
    button.disabled = true;
    try {
      const [ctx, { Teacher }] = await Promise.all([context(), teacherModule()]);
      const started = await LiveClient.start({ query: classQuery(pageState(), ctx.meta.page_keys) || "" });
      button.removeEventListener("click", start);
      const mine = remember({ code: started.code, token: started.teacher_token });
      const teacher = new Teacher(mine, { ...ctx, button, started, onStop: () => offerToStart(button, context) });
      window.__actlabLive = teacher;
      teacher.open();
    } catch (e) {
      const wait = e.retryAfterS ? ` (try again in ${Math.ceil(e.retryAfterS)} s)` : "";
      problem(`Could not start a live class: ${e.message}${wait}`);
    } finally {
      button.disabled = false;
    }
  });
}

async function main() {
  const button = document.getElementById("live-class");
  const { mine, adopt = false, joined = false } = whoAmI();
  const context = async () => {
    const [meta, catalogue] = await Promise.all([loadMeta(), loadCatalogue()]);
    return { meta, catalogue, forget: () => remember(null) };
  };
  if (mine && !mine.token) {
    if (button) button.hidden = true;
    const onLeave = () => {
      if (!button) return;
      button.hidden = false;
      offerToStart(button, context);
    };
    const save = (patch) => remember({ ...(recall() || mine), ...patch });
    const { Student } = await studentModule();
    window.__actlabLive = new Student(mine.code, { ...(await context()), following: mine.following !== false, errand: mine.errand ?? null, seen: mine.seen ?? null, sent: mine.sent ?? null, joined, save, onLeave });
  } else if (mine) {
    const { Teacher } = await teacherModule();
    window.__actlabLive = new Teacher(mine, { ...(await context()), button, adopt, onStop: () => button && offerToStart(button, context) });
  } else if (button) {
    offerToStart(button, context);
  }
}

main().catch((e) => {
  console.error(e);
  problem(`The live class failed to start: ${e.message}`);
});
