"""Slider-to-redraw latency in a real browser (Debian's Chromium driven by Playwright).

Starts the app, opens the explorer on leaky ReLU, and moves the leak slider `moves` times:
each move sets the range input's value and fires its `input` event, exactly as a drag does,
then waits until the plot has been redrawn with the new curve (the view's `fn:drawn` event,
fired after Plotly.react resolves). Reports the median and 95th percentile in ms.

    python3 bench/slider_latency.py [--moves 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server  # noqa: E402

MOVE_JS = """
async ({moves}) => {
  const range = document.querySelector('#fn-curves input[type="range"][data-param="leak"]');
  const root = document.getElementById('view-function');
  const out = [];
  const min = Number(range.min), max = Number(range.max), step = Number(range.step);
  for (let i = 0; i < moves; i++) {
    // a new value every move (a sweep back and forth), so no response is reused from cache
    const k = i % 400;
    const v = min + step * (k < 200 ? 10 + k : 410 - k) * 2 + step * Math.floor(i / 400);
    const drawn = new Promise((res) => root.addEventListener('fn:drawn', res, { once: true }));
    const t0 = performance.now();
    range.value = String(Math.min(max, v));
    range.dispatchEvent(new Event('input', { bubbles: true }));
    await drawn;
    out.push(performance.now() - t0);
    await new Promise((res) => setTimeout(res, 5));
  }
  return out;
}
"""


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def measure(moves: int = 200) -> dict:
    """{'moves', 'median_ms', 'p95_ms', 'max_ms'} for slider input → finished redraw."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"http://127.0.0.1:{port}/?fn=leaky_relu")
            page.wait_for_selector('[data-panel="function"] .plot[data-rendered="1"]')
            page.evaluate(MOVE_JS, {"moves": 20})  # warm-up
            times = page.evaluate(MOVE_JS, {"moves": moves})
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {
        "moves": moves,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moves", type=int, default=200)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    r = measure(args.moves)
    print(f"slider → redraw over {r['moves']} moves: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms (target: median < 50 ms)")


if __name__ == "__main__":
    main()
