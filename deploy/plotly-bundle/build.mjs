// Builds plotly.js's core with the bar and heatmap traces (entry.js), with the esbuild
// settings of plotly.js's own esbuild-config.js, minified, but for two plugins: no GLSL (no
// WebGL trace is in), and the one CSS file plotly.js imports (maplibre-gl's, injected when a
// map trace registers: none does here) loads as nothing — the inline-CSS plugin would name
// its <style> by a hash of the build directory's path, so the bundle's bytes would depend on it.
// Run by deploy/vendor_plotly.py after `npm ci`: node build.mjs OUTFILE
import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync("node_modules/plotly.js/package.json", "utf8"));
const banner = `/**
* plotly.js (scatter, bar, heatmap - minified) v${version}
* built for Activation Lab by deploy/vendor_plotly.py from plotly.js's npm package
* Copyright 2012-2026, Plotly, Inc.
* All rights reserved.
* Licensed under the MIT license
*/`;

await build({
  entryPoints: ["entry.js"],
  outfile: process.argv[2],
  format: "iife",
  globalName: "Plotly",
  bundle: true,
  minify: true,
  sourcemap: false,
  banner: { js: banner },
  plugins: [environmentPlugin({ NODE_DEBUG: false })],
  loader: { ".css": "empty" },
  define: { global: "window", "define.amd": "false" },
  target: "es2016",
  logLevel: "warning",
});
