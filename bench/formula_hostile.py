"""Time every entry of the hostile-formula corpus (tests/cases/formula_hostile.json).

Core (the default): each entry handled as the API would, compile_formula(text, params),
and for formulas that compile, check_finite on 2001 points of [-1e4, 1e4] and kinks() at
the defaults.

``--api``: each entry sent through the app itself (in process, every cache emptied before
each run): POST /api/train with the formula (and its declarations as ``ranges``) and, for
texts short enough to be a URL, GET /api/curve?formula=…. A rejected entry must answer 422
with the corpus' ``code`` and ``position``; one that compiles is drawn (GET /api/curve on
2001 points of [-1e4, 1e4]: compile, measured properties, curve, overflow report) — its
training is not timed, the compute budget bounds that.

Prints each entry's time, the best of 5 runs: wall-clock and this process's CPU time (on a
shared machine the wall-clock time includes waiting for a core; the first line shows the
load average), and the worst of each. The target is under 50 ms per entry.

    python3 bench/formula_hostile.py [--api] [--all]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.formula import FormulaError, compile_formula

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "cases" / "formula_hostile.json"
GRID = np.linspace(-1e4, 1e4, 2001)
TARGET_MS = 50.0


def text_of(entry: dict) -> str:
    return entry["text"] if "text" in entry else "".join(s * n for s, n in entry["parts"])


def handle(entry: dict) -> str:
    try:
        formula = compile_formula(text_of(entry), entry.get("params"))
    except FormulaError as e:
        return e.code
    report = formula.check_finite(GRID)
    formula.kinks()
    return "ok" if report.ok else report.kind or "?"


MAX_URL_TEXT = 8000  # longer texts are refused as URLs before the app (uvicorn, proxies)


def api_handler():
    """handle(entry) through the app in process, with every cache emptied first."""
    from urllib.parse import urlencode

    from fastapi.testclient import TestClient

    from app.api import activations as curve_api
    from app.api.responses import BODIES
    from app.core import spec
    from app.core.formula import activation
    from app.main import create_app
    from app.settings import Settings

    client = TestClient(create_app(Settings(max_body_bytes=1_000_000, log_level="warning")))
    client.__enter__()

    def handle_api(entry: dict) -> str:
        curve_api._PARSED.clear()
        BODIES.clear()
        activation._cache.items.clear()
        spec.compiled.cache_clear()
        text = text_of(entry)
        body = {"epochs": 1, "frames": 2, "boundary_frames": 0, "activations": [{"formula": text, "ranges": entry.get("params") or {}}]}
        if entry["code"]:
            r = client.post("/api/train", json=body)
            answers = [r.json()]
            if len(text) <= MAX_URL_TEXT and not entry.get("params"):
                answers.append(client.get("/api/curve?" + urlencode({"formula": text})).json())
            codes = {(a.get("code"), a.get("position")) for a in answers}
            expected = {(entry["code"], entry["position"])}
            return entry["code"] if codes == expected or entry.get("params") else f"MISMATCH {codes}"
        r = client.get("/api/curve?" + urlencode({"formula": text, "xmin": -1e4, "xmax": 1e4, "n": 2001}))
        return "ok" if r.status_code == 200 else f"HTTP {r.status_code}"

    return handle_api


def main() -> int:
    entries = json.loads(CORPUS.read_text())
    run = api_handler() if "--api" in sys.argv else handle
    rows = []
    print("load average: " + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores"
          + (" — through the API (POST /api/train and GET /api/curve)" if "--api" in sys.argv else " — the core"))
    for entry in entries:
        wall = cpu = float("inf")
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            outcome = run(entry)
            wall = min(wall, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        rows.append((wall * 1e3, cpu * 1e3, entry["name"], outcome, bool(entry["code"])))
    rows.sort(reverse=True)
    shown = rows if "--all" in sys.argv else rows[:10]
    print(f"{len(rows)} entries; slowest first (ms, best of 5):")
    print(f"  {'wall':>8s}  {'cpu':>8s}  entry")
    for wall, cpu, name, outcome, _ in shown:
        print(f"  {wall:8.2f}  {cpu:8.2f}  {name:44s} {outcome}")
    worst_wall = rows[0][0]
    worst_cpu = max(r[1] for r in rows)
    median = sorted(r[0] for r in rows)[len(rows) // 2]
    print(f"max {worst_wall:.2f} ms wall, {worst_cpu:.2f} ms cpu; median {median:.3f} ms (target < {TARGET_MS:g} ms)")
    rejected = [r for r in rows if r[4]]
    drawn = [r for r in rows if not r[4]]
    print(f"rejected ({len(rejected)}): max {max(r[0] for r in rejected):.2f} ms wall, median {sorted(r[0] for r in rejected)[len(rejected) // 2]:.3f} ms; "
          f"accepted ({len(drawn)}): max {max((r[0] for r in drawn), default=0):.2f} ms wall")
    wrong = [r for r in rows if r[3].startswith(("MISMATCH", "HTTP"))]
    for r in wrong:
        print(f"  WRONG ANSWER: {r[2]}: {r[3]}")
    # the target is for rejections through the API (an accepted formula is drawn: bounded by the caps)
    judged = rejected if "--api" in sys.argv else rows
    return 0 if max(r[0] for r in judged) < TARGET_MS and not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
