"""Step latency in a real browser: click Step → the diagram redrawn (Debian's Chromium).

Starts the app, opens the network view at its defaults (moons, 3 × 8 ReLU, Adam), waits
for the first run, then presses Step `steps` times: each press posts the held state with
epochs 1 to /api/train and waits for the view's `net:diagram` event, fired once the
diagram of the new state is drawn. Reports the median and 95th percentile of click →
redrawn diagram, and of the request alone (the browser's resource timing), in ms.
Target (issue 15): median < 100 ms.

    python3 bench/step_latency.py [--steps 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server  # noqa: E402

STEP_JS = """
async ({steps}) => {
  const root = document.getElementById('view-network');
  const button = document.getElementById('step');
  const out = [];
  for (let i = 0; i < steps; i++) {
    performance.clearResourceTimings();
    const drawn = new Promise((res) => root.addEventListener('net:diagram', res, { once: true }));
    const t0 = performance.now();
    button.click();
    await drawn;
    const total = performance.now() - t0;
    const req = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/train')).pop();
    out.push([total, req ? req.responseEnd - req.startTime : null]);
    await new Promise((res) => setTimeout(res, 20));
  }
  return out;
}
"""


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def measure(steps: int = 60) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/?view=network")
            page.wait_for_function("() => /^Trained/.test(document.querySelector('#train-status').textContent)", timeout=60000)
            page.evaluate(STEP_JS, {"steps": 5})  # warm-up
            rows = page.evaluate(STEP_JS, {"steps": steps})
            epoch = page.evaluate("() => document.getElementById('view-network').dataset.diagramEpoch")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    total = [r[0] for r in rows]
    request = [r[1] for r in rows if r[1] is not None]
    return {"steps": steps, "epoch": epoch, "median_ms": statistics.median(total), "p95_ms": percentile(total, 0.95),
            "request_median_ms": statistics.median(request) if request else float("nan"), "request_p95_ms": percentile(request, 0.95) if request else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    r = measure(args.steps)
    print(f"Step → diagram redrawn over {r['steps']} steps (to epoch {r['epoch']}): median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms; "
          f"the request alone: median {r['request_median_ms']:.1f} ms, p95 {r['request_p95_ms']:.1f} ms (target: median < 100 ms)")
    return 0 if r["median_ms"] < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
