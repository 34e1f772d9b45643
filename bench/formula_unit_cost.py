"""Calibrate a formula's engine cost (app/core/formula/activation.py: UNIT_COST_PER_OP).

The compute budget charges each activation ``unit_cost`` engine units per hidden unit and
input. For a built-in that number is declared (measured once); for a user's formula it is
``UNIT_COST_PER_OP × Formula.cost + UNIT_COST_BASE``. This script times, side by side on the same arrays,
the elementwise work the engine does per activation — f and f′ over a (4, 32, 512) block,
as ``ActivationGroup.apply`` calls it — for every built-in and for the same built-in typed
as a formula (tests/cases/builtin_formulas.json), then prints:

* engine units per microsecond-per-element, from the built-ins (their declared unit_cost
  over their measured time): the budget's exchange rate on this machine;
* for each formula, the unit cost its measured time is worth at that rate, next to the
  adapter's estimate, and the ratio of the two; and the least-squares line through
  (cost, worth), to compare with UNIT_COST_PER_OP and UNIT_COST_BASE.

    python3 bench/formula_unit_cost.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core import activations as acts
from app.core.formula import compile_formula
from app.core.formula.activation import UNIT_COST_BASE, UNIT_COST_PER_OP, as_activation
from app.core.network import ActivationGroup, Variant

CASES = json.loads((Path(__file__).resolve().parents[1] / "tests" / "cases" / "builtin_formulas.json").read_text())
SHAPE = (4, 32, 512)


def per_element_us(act: acts.Activation, params: dict) -> float:
    """Best-of-7 time of one f-and-f′ pass, per element, in microseconds."""
    group = ActivationGroup(0, [Variant(act.id if act.formula is None else act, params)] * SHAPE[0], np.dtype(np.float64))
    rng = np.random.default_rng(0)
    z = rng.standard_normal(SHAPE) * 2.0
    h, d = np.empty_like(z), np.empty_like(z)
    p = {**group.fixed, **{n: params[n] for n in group.learned}}
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(5):
            group.apply(z, h, d, p, None)
        best = min(best, (time.perf_counter() - t0) / 5)
    return best / z.size * 1e6


def main() -> None:
    rows = []
    for case in CASES:
        act = acts.get(case["id"])
        if act.stochastic is not None or case["catalogue_fixed"]:
            continue
        formula = compile_formula(case["formula"], case["params"] or None)
        mine = as_activation(formula)
        builtin_params = acts.resolve_params(act, {})
        t_builtin = per_element_us(act, builtin_params)
        t_formula = per_element_us(mine, acts.resolve_params(mine, {}))
        rows.append((act.id, act.unit_cost, t_builtin, formula.cost, mine.unit_cost, t_formula))
    rate = statistics.median(u / t for _, u, t, *_ in rows)
    print(f"exchange rate (median over built-ins): {rate:.1f} engine units per µs per element")
    print(f"{'activation':14s} {'declared':>8s} {'µs/el':>7s} | {'cost':>6s} {'estimate':>8s} {'µs/el':>7s} {'worth':>7s} {'est/worth':>9s}")
    ratios = []
    for name, unit, t_b, cost, est, t_f in rows:
        worth = rate * t_f
        ratios.append(est / worth)
        print(f"{name:14s} {unit:8d} {t_b:7.4f} | {cost:6.1f} {est:8d} {t_f:7.4f} {worth:7.1f} {est / worth:9.2f}")
    costs = np.array([r[3] for r in rows])
    worths = np.array([rate * r[5] for r in rows])
    slope, base = np.polyfit(costs, worths, 1)
    print(f"UNIT_COST_PER_OP = {UNIT_COST_PER_OP:g}, UNIT_COST_BASE = {UNIT_COST_BASE:g}; least squares here: {slope:.2f} × cost + {base:.1f}; "
          f"estimate / worth: median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}")

if __name__ == "__main__":
    main()
