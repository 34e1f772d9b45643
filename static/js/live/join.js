// The join page: type a code (any case, with or without the hyphen), then an optional
// nickname that stays in this browser only and is sent with results.
import { applyTheme, preferredTheme } from "../lib/theme.js";
import { NICKNAME_KEY, normaliseCode } from "./client.js";

applyTheme(preferredTheme());

const codeForm = document.getElementById("code-form");
if (codeForm) {
  const input = codeForm.querySelector("#code");
  codeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = normaliseCode(input.value);
    // an unknown or mistyped code is answered by the page itself (and counts as a guess)
    window.location.assign(`/join/${encodeURIComponent(code || input.value.trim())}`);
  });
  input.focus();
}

const joinForm = document.getElementById("join-form");
if (joinForm) {
  const nick = joinForm.querySelector("#nickname");
  try {
    nick.value = localStorage.getItem(NICKNAME_KEY) || "";
  } catch {
    /* storage blocked: no remembered nickname */
  }
  joinForm.addEventListener("submit", () => {
    try {
      const name = nick.value.trim();
      if (name) localStorage.setItem(NICKNAME_KEY, name);
      else localStorage.removeItem(NICKNAME_KEY);
    } catch {
      /* storage blocked: results go without a nickname */
    }
  });
  nick.focus();
}
