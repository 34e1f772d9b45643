"""Cold page loads in a real browser: bytes transferred and time to the first plot.

Starts the app (or uses ``--url``), then loads each page ``--runs`` times in Debian's Chromium
through Playwright, each time in a fresh browser context with the HTTP cache disabled (CDP
``Network.setCacheDisabled``), over loopback. Per load it records:

- **first plot**: from navigation start (``performance.timeOrigin``) to the moment the first
  ``.js-plotly-plot`` has an SVG with data in it (a trace's path with a non-empty ``d``, or a heatmap's image), seen by a
  MutationObserver installed before any page script runs;
- **plotly.js ran**: when the vendored bundle's script had run (its ``load`` event) — the
  first plot cannot come before it — and how long after that the first plot came (the part
  the app's own loading decides; the rest is the bundle's download and execution);
- **main-thread busy time** until then (CDP ``Performance.getMetrics``: ScriptDuration and
  TaskDuration, the wall-clock time of the renderer's script and other tasks — on a busy
  machine these stretch too, but idle waits for the network are left out);
- **bytes**: the sum of CDP ``Network.loadingFinished`` ``encodedDataLength`` over every
  request of the load (compressed bytes on the wire, response headers included), counted
  until the network is idle after the first plot; plus the largest single response.

One warm-up load per page is not counted (it fills the server's caches). Prints the median
and [min–max] per page, and the Accept-Encoding Chromium sent and the encoding it got for
the plotly bundle.

    python3 bench/cold_load.py [--runs 7] [--pages / /embed/function] [--url http://127.0.0.1:8000]
    python3 bench/cold_load.py --root /path/to/another/checkout     # e.g. the code before a change
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = ["/", "/embed/function"]

# Runs before any page script: note when the first plot has data drawn in its SVG.
FIRST_PLOT_JS = """
(() => {
  window.__firstPlot = null;
  window.__plotlyRan = null;
  // the plotly.js bundle has run (its script's load event): what the first draw waits on at least
  document.addEventListener("load", (e) => {
    if (e.target.tagName === "SCRIPT" && e.target.src.includes("/vendor/plotly-")) window.__plotlyRan = performance.now();
  }, true);
  const drawn = () => document.querySelector(
    '.js-plotly-plot .main-svg g.trace path[d]:not([d=""]), .js-plotly-plot .main-svg g.hm image');
  const check = () => {
    if (window.__firstPlot === null && drawn()) {
      window.__firstPlot = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def load_once(browser, url: str, timeout_ms: int = 30000) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.add_init_script(FIRST_PLOT_JS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Performance.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        responses: dict[str, dict] = {}
        finished: dict[str, float] = {}
        request_headers: dict[str, dict] = {}

        # the headers Chromium's network stack really sent (Accept-Encoding is added there)
        cdp.on("Network.requestWillBeSentExtraInfo", lambda e: request_headers.__setitem__(e["requestId"], e.get("headers", {})))
        cdp.on("Network.responseReceived", lambda e: responses.__setitem__(e["requestId"], e["response"]))
        cdp.on("Network.loadingFinished", lambda e: finished.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(url, wait_until="load", timeout=timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        while (first_plot := page.evaluate("() => window.__firstPlot")) is None:  # (no wait_for_function: the CSP forbids eval)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: no plot drawn within {timeout_ms} ms")
            time.sleep(0.05)
        # main-thread busy time so far (script and other tasks; waits for the network excluded)
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        per_url = {}
        plotly = {}
        for rid, size in finished.items():
            resp = responses.get(rid, {})
            u = resp.get("url", rid)
            per_url[u] = per_url.get(u, 0) + size
            if "/vendor/plotly-" in u:
                headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
                sent = {k.lower(): v for k, v in request_headers.get(rid, {}).items()}
                plotly = {"url": u, "bytes": size, "encoding": headers.get("content-encoding", "identity"), "accept_encoding": sent.get("accept-encoding", "?")}
        plotly_ran = page.evaluate("() => window.__plotlyRan")
        return {"first_plot_ms": first_plot, "plotly_ran_ms": plotly_ran, "script_ms": metrics.get("ScriptDuration", 0) * 1000, "task_ms": metrics.get("TaskDuration", 0) * 1000, "bytes": sum(finished.values()), "requests": len(finished), "largest": max(per_url.items(), key=lambda kv: kv[1]) if per_url else None, "plotly": plotly}
    finally:
        context.close()


def summarise(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} [{min(values):,.0f}–{max(values):,.0f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cold-load bytes and first-plot time in Chromium")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--url", help="an already running server (default: start one from --root)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app to start (default: this one)")
    parser.add_argument("--json", action="store_true", help="also print the per-run figures as JSON")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    proc = None
    base = args.url
    if not base:
        port = free_port()
        proc = start_server(args.root.resolve(), port)
        base = f"http://127.0.0.1:{port}"
    results: dict[str, list[dict]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for path in args.pages:
                    load_once(browser, base + path)  # warm-up: the server's caches, not counted
                    results[path] = [load_once(browser, base + path) for _ in range(args.runs)]
            finally:
                browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    print(f"cold loads of {base} ({args.runs} runs each, cache disabled, load average {os.getloadavg()[0]:.2f})")
    for path, runs in results.items():
        plotly = runs[-1]["plotly"]
        print(
            f"  {path:<18} first plot {summarise([r['first_plot_ms'] for r in runs])} ms   "
            f"bytes {summarise([r['bytes'] for r in runs])}   requests {runs[-1]['requests']}\n"
            f"  {'':<18} plotly.js had run by {summarise([r['plotly_ran_ms'] or 0 for r in runs])} ms; "
            f"the first plot came {summarise([r['first_plot_ms'] - (r['plotly_ran_ms'] or 0) for r in runs])} ms after that\n"
            f"  {'':<18} main thread busy until then: scripts {summarise([r['script_ms'] for r in runs])} ms, "
            f"all tasks {summarise([r['task_ms'] for r in runs])} ms"
        )
        if plotly:
            print(f"  {'':<18} plotly: {plotly['bytes']:,} B {plotly['encoding']} ({plotly['url'].replace(base, '')}; Accept-Encoding: {plotly['accept_encoding']})")
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
