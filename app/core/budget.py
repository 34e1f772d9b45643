"""The compute budget: what a training run costs before it runs, and the limit.

One unit of cost ≈ one multiply-add of a matrix product on the reference machine (2 cores;
``bench/unit_costs.py`` measures every constant here and each activation's declared
``unit_cost`` / ``eval_unit_cost``, and prints them to paste back). A run costs

  training   epochs × (n_train + PASS_COLS × batches) × Σ_variants (Σ layer weights + unit_cost[f] × hidden units)
  steps      optimiser steps × (STEP_COST + CALL_COST × depth × activation groups + PARAM_COST × K × P)
  frames     frames × ((n_points + PASS_COLS) × Σ_variants (FRAME_WEIGHTS × Σ layer weights + eval_unit_cost[f] × units)
                       + FRAME_COST + FRAME_CALL_COST × depth × activation groups)
  grids      (boundary_frames × boundary_grid² + unit_grid²) × GRID_WEIGHTS × Σ_variants (Σ layer weights + eval_unit_cost[f] × units)
  histograms 2 × Σ_variants units × n_train × HIST_COST

— the recorded frames, the boundary grids and the histograms counted like the training
itself, so that the most expensive run the budget admits takes about as long as the cheapest
one at the limit (bench/budget_spread.py measures the spread).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from . import activations as acts
from .errors import BudgetError, apart

MAX_COST = 1.6e10  # the largest ReLU run: about 3 CPU s here (bench/budget_spread.py)
# A recorded frame's evaluation pass (forward, loss, backward, statistics) per weight, against a training pass's.
FRAME_WEIGHTS = 1.1
GRID_WEIGHTS = 0.25  # a boundary-grid point's forward pass, against a frame's pass
HIST_COST = 26.0  # per (unit, training input), for the two histograms
PASS_COLS = 160.0  # a pass over b inputs costs as b + PASS_COLS would (small batches: fitted by bench/budget_spread.py)
FRAME_COST = 200_000  # a recorded frame's fixed cost (its numpy calls)
FRAME_CALL_COST = 32_000  # … per layer and activation group
STEP_COST = 200_000  # the fixed cost of one optimiser step and one pass's Python (~80 numpy calls)
CALL_COST = 32_000  # per layer and activation group in a pass (a few numpy calls each)
PARAM_COST = 18.0  # per parameter per optimiser step (Adam: ~12 elementwise operations)
# Memory: variants × points × Σ widths numbers per activation buffer (four of them,
# so at most 4 × 8 B × 6.2e6 ≈ 200 MB per run in float64).
MAX_ELEMENTS = 6_200_000


def _eval(a: Any) -> int:
    return a.unit_cost if a.eval_unit_cost is None else a.eval_unit_cost


def _groups(variants: Any) -> int:
    out, last = 0, None
    for v in variants:
        if v.activation != last:
            out, last = out + 1, v.activation
    return out


def cost(config: Any) -> float:
    """The compute a run needs, in multiply-add units (see the module docstring)."""
    arch = config.network
    n, n_all = config.n_train, config.data.size
    units = arch.units
    decls = [acts.get(v.activation) for v in config.variants]
    train_pp = sum(arch.n_weights + a.unit_cost * units for a in decls)
    eval_pp = sum(GRID_WEIGHTS * (arch.n_weights + _eval(a) * units) for a in decls)
    frame_pp = sum(FRAME_WEIGHTS * arch.n_weights + _eval(a) * units for a in decls)
    batch = n if config.batch_size <= 0 else min(config.batch_size, n)
    batches = math.ceil(n / batch)
    steps = config.epochs * batches
    frames = min(config.frames, config.epochs + 1)
    cells = config.boundary_frames * config.boundary_grid**2 + config.unit_grid**2
    hist = 2 * len(decls) * units * n * HIST_COST if config.histograms else 0.0
    K, P, calls = len(decls), _params(arch), arch.depth * _groups(config.variants)
    per_step = STEP_COST + CALL_COST * calls + PARAM_COST * K * P
    per_frame = (n_all + PASS_COLS) * frame_pp + FRAME_COST + FRAME_CALL_COST * calls
    training = float(config.epochs) * (n + PASS_COLS * batches) * train_pp
    return training + steps * per_step + frames * per_frame + cells * eval_pp + hist


def _params(arch: Any) -> int:
    return sum(o * (i + 1) for i, o in arch.shapes)


def elements(config: Any) -> int:
    """Numbers in one per-layer activation buffer (the engine keeps four), for all points."""
    return len(config.variants) * config.data.size * config.network.units


def check_budget(config: Any, variants_field: str = "activations") -> None:
    """BudgetError if ``config`` is too large to run (``variants_field``: what the stacked
    variants are to the user — activations, sweep.values, seeds — named among what to reduce)."""
    c = cost(config)
    if c > MAX_COST:
        # how many epochs fit with the rest unchanged (the cost grows with the epochs)
        lo, hi = 0, config.epochs
        if cost(_with_epochs(config, 1)) > MAX_COST:
            hi = 0
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if cost(_with_epochs(config, mid)) <= MAX_COST else (lo, mid - 1)
        fit = lo
        reduce = ["epochs", "n_points", "depth", "width", variants_field, "frames", "boundary_frames"]
        # larger mini-batches cost less per epoch (fewer steps); a full batch cannot grow
        mini = 0 < config.batch_size < config.n_train
        if mini:
            reduce.append("batch_size (raise it)")
        hint = f"with the rest unchanged, at most {fit:,} epoch{'s' if fit > 1 else ''} fit{'s' if fit == 1 else ''}; or " if fit >= 1 else ""
        shown, limit = apart(c, MAX_COST)
        raise BudgetError(
            "epochs",
            f"this run costs {shown} (training, recorded frames, boundary grids and histograms: see /api/meta budget); "
            f"the limit is {limit}: {hint}reduce epochs, n_points, depth, width, {variants_field}, frames, "
            f"{'boundary_frames, or raise batch_size' if mini else 'or boundary_frames'}",
            "budget", cost=c, limit=MAX_COST, fit_epochs=fit, reduce=reduce,
        )
    e = elements(config)
    if e > MAX_ELEMENTS:
        raise BudgetError(
            "n_points",
            f"this run keeps {e:,} numbers per layer buffer (variants × n_points × hidden units); "
            f"the limit is {MAX_ELEMENTS:,}: reduce n_points, depth, width or {variants_field}",
            "memory", elements=e, limit=MAX_ELEMENTS, reduce=["n_points", "depth", "width", variants_field],
        )


def _with_epochs(config: Any, epochs: int) -> Any:
    return replace(config, epochs=epochs)
