// The "Embed" dialog: a ready-to-paste <iframe> (sized, titled) and the plain link.

import { buildQuery } from "./url.js";

const SIZE = { width: 720, height: 480 };

/** The embed URL for a panel: /embed/<panel>?<the explorer's query>. */
export function embedUrl(panelName, state, schema, catalogue, { controls = false } = {}) {
  const query = buildQuery(state, schema, catalogue).replace(/^\?/, "");
  const parts = query ? query.split("&").filter((p) => !p.startsWith("view=")) : [];
  if (controls) parts.push("controls=1");
  return `${location.origin}/embed/${panelName}${parts.length ? `?${parts.join("&")}` : ""}`;
}

const escapeAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function iframeSnippet(url, title) {
  return `<iframe src="${escapeAttr(url)}" width="${SIZE.width}" height="${SIZE.height}" title="${escapeAttr(title)}" style="border:0;max-width:100%" loading="lazy"></iframe>`;
}

export function openEmbedDialog(panel, _view, state, schema, catalogue) {
  const dialog = document.getElementById("embed-dialog");
  const snippet = dialog.querySelector("#embed-snippet");
  const link = dialog.querySelector("#embed-link");
  const controls = dialog.querySelector("#embed-controls");
  // (a plot's name says what it draws: panel.js; the network diagram's is its title)
  const title = `Activation Lab: ${(panel.plot && panel.plot.getAttribute("aria-label")) || panel.titleEl.textContent}`;
  const update = () => {
    const url = embedUrl(panel.embedName, state, schema, catalogue, { controls: controls.checked });
    link.value = url;
    snippet.value = iframeSnippet(url, title);
  };
  controls.onchange = update;
  update();
  dialog.querySelector("#embed-copy").onclick = async () => {
    try {
      await navigator.clipboard.writeText(snippet.value);
    } catch {
      snippet.select();
    }
  };
  dialog.querySelector("#embed-close").onclick = () => dialog.close();
  dialog.showModal();
  snippet.focus();
  snippet.select();
}
