"""Time every entry of the hostile-formula corpus (tests/cases/formula_hostile.json).

Each entry is handled as the API would: compile_formula(text, params), and for formulas
that compile, check_finite on 2001 points of [-1e4, 1e4] and kinks() at the defaults.
Prints each entry's time, the best of 5 runs: wall-clock and this process's CPU time
(on a shared machine the wall-clock time includes waiting for a core; the first line
shows the load average), and the worst of each. The target is under 50 ms per entry.

    python3 bench/formula_hostile.py [--all]
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


def main() -> int:
    entries = json.loads(CORPUS.read_text())
    rows = []
    print("load average: " + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores")
    for entry in entries:
        wall = cpu = float("inf")
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            outcome = handle(entry)
            wall = min(wall, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        rows.append((wall * 1e3, cpu * 1e3, entry["name"], outcome))
    rows.sort(reverse=True)
    shown = rows if "--all" in sys.argv else rows[:10]
    print(f"{len(rows)} entries; slowest first (ms, best of 5):")
    print(f"  {'wall':>8s}  {'cpu':>8s}  entry")
    for wall, cpu, name, outcome in shown:
        print(f"  {wall:8.2f}  {cpu:8.2f}  {name:44s} {outcome}")
    worst_wall = rows[0][0]
    worst_cpu = max(r[1] for r in rows)
    median = sorted(r[0] for r in rows)[len(rows) // 2]
    print(f"max {worst_wall:.2f} ms wall, {worst_cpu:.2f} ms cpu; median {median:.3f} ms (target < {TARGET_MS:g} ms)")
    return 0 if worst_wall < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
