// plotly.js is a classic script loaded `async` (templates/base.html), so that it holds up
// neither the app's modules nor their first requests; whatever draws awaits plotly() first.

let loaded = null;

/** window.Plotly, once the script has run. */
export function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loaded) {
    loaded = new Promise((resolve, reject) => {
      const script = document.getElementById("plotly-js");
      if (!script) return reject(new Error("this page does not load plotly.js"));
      script.addEventListener("load", () => resolve(window.Plotly));
      script.addEventListener("error", () => reject(new Error("plotly.js failed to load")));
    });
  }
  return loaded;
}
