"""How true the compute budget is: CPU time of runs the budget admits at its limit.

Takes a set of very different requests — cheap and expensive activations, big and tiny
networks, full batches and batches of one, many frames, big boundary grids, four stacked
variants, multi-class, regression, all seven features — scales each one's epochs so that
it costs just under the limit (app.core.budget.MAX_COST), runs it (app.core.training.train,
as /api/train does) and measures its CPU time (this process, one BLAS thread). The budget
is true when every admissible run takes about as long: printed are each run's CPU seconds,
the spread max ÷ min, and the worst run ÷ the largest ReLU run (issue 16's target ≤ 1.5).
Also the issue's reproduction: 4 × noisy ReLU, 12 × 64, 2000 points — now refused, and
what the budget lets it do instead.

    python3 bench/budget_spread.py [--repeat 1] [--share 0.97]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app  # noqa: F401  (one BLAS thread, before numpy loads)
from app.core.budget import MAX_COST, cost
from app.core.datasets import DatasetSpec
from app.core.errors import BudgetError
from app.core.network import Architecture, Variant
from app.core.training import TrainConfig, check_budget, train

BIG = dict(data=DatasetSpec("moons", 2000, 0.1, 0.05), arch=Architecture(12, 64), frames=10, boundary_frames=7, boundary_grid=80)
V = lambda name, k=1: tuple(Variant(name) for _ in range(k))
CASES: dict[str, dict] = {
    "relu 12×64 (largest ReLU run)": dict(BIG, variants=V("relu")),
    "4 × noisy_relu 12×64, 1000 points": dict(BIG, data=DatasetSpec("moons", 1000, 0.1, 0.05), variants=V("noisy_relu", 4), frames=3, boundary_frames=2, boundary_grid=40),
    "4 × mish 12×64, 1000 points": dict(BIG, data=DatasetSpec("moons", 1000, 0.1, 0.05), variants=V("mish", 4), frames=3, boundary_frames=2, boundary_grid=40),
    "4 × softplus 6×64, 100 frames": dict(BIG, arch=Architecture(6, 64), data=DatasetSpec("moons", 500, 0.1, 0.05), variants=V("softplus", 4), frames=100, boundary_frames=2),
    "4 × relu 12×64, batch 32": dict(BIG, variants=V("relu", 4), batch_size=32),
    "noisy_relu 12×64, batch 16": dict(BIG, variants=V("noisy_relu"), batch_size=16),
    "relu 2×4, batch 1": dict(data=DatasetSpec("moons", 2000), arch=Architecture(2, 4), batch_size=1, frames=10),
    "relu 3×8, 500 frames": dict(data=DatasetSpec("moons", 2000), arch=Architecture(3, 8), frames=500, boundary_frames=20, boundary_grid=80),
    "tanh 6×32, 20 boundaries 80²": dict(data=DatasetSpec("spirals", 2000), arch=Architecture(6, 32), frames=40, boundary_frames=20, boundary_grid=80),
    "gelu+elu+selu+leaky 8×64": dict(BIG, arch=Architecture(8, 64), variants=(Variant("gelu"), Variant("elu"), Variant("selu"), Variant("leaky_relu"))),
    "relu 12×64, 6 classes": dict(BIG, data=DatasetSpec("class_spirals", 2000, 0.1, 0.05, classes=6), boundary_frames=2),
    "silu widths 64,32,16,8, 7 features, regression": dict(data=DatasetSpec("multi_gaussian", 2000), arch=Architecture(widths=(64, 32, 16, 8)),
                                                          features=("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2"), variants=V("silu"), frames=50),
    "prelu 12×64, l1 + l2, diagram": dict(BIG, variants=V("prelu"), l1=0.001, l2=0.01, unit_grid=24),
}


def at_limit(base: TrainConfig, share: float) -> TrainConfig | None:
    """The config with the most epochs (≤ 5000) that costs at most share × MAX_COST."""
    lo, hi = 1, 5000
    if cost(dataclasses.replace(base, epochs=1)) > share * MAX_COST:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if cost(dataclasses.replace(base, epochs=mid)) <= share * MAX_COST else (lo, mid - 1)
    return dataclasses.replace(base, epochs=lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--share", type=float, default=0.97, help="each run's cost as a share of the limit")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    repro = TrainConfig(**dict(BIG, variants=V("noisy_relu", 4)), epochs=9)
    try:
        check_budget(repro)
        print("issue 16's reproduction (4 × noisy_relu, 9 epochs) is admitted")
    except BudgetError as e:
        print(f"issue 16's reproduction (4 × noisy_relu, 9 epochs): refused, cost {e.info['cost']:.3g} > {MAX_COST:.3g}; fits {e.info['fit_epochs']} epochs")
    rows = []
    for name, kw in CASES.items():
        if args.only and args.only not in name:
            continue
        cfg = at_limit(TrainConfig(**kw, epochs=1), args.share)
        if cfg is None:
            print(f"{name:48s} does not fit even one epoch")
            continue
        best = float("inf")
        for _ in range(args.repeat):
            t = time.process_time()
            train(cfg)
            best = min(best, time.process_time() - t)
        rows.append((name, cfg.epochs, cost(cfg), best))
        print(f"{name:48s} epochs {cfg.epochs:5d}  cost {cost(cfg):.3g}  CPU {best:6.2f} s", flush=True)
    at = [r for r in rows if r[2] >= 0.9 * MAX_COST]  # (a run whose epochs hit their cap costs less)
    cpus = [r[3] for r in at]
    relu = next((r[3] for r in rows if r[0].startswith("relu 12×64 (largest")), None)
    print(f"\nspread of admissible runs at the limit: max ÷ min = {max(cpus) / min(cpus):.2f} ({min(cpus):.2f}–{max(cpus):.2f} CPU s, {len(at)} runs)")
    per = [r[3] / r[2] * MAX_COST for r in rows]
    print(f"CPU s per limit's worth of cost, every run: {min(per):.2f}–{max(per):.2f} (max ÷ min = {max(per) / min(per):.2f})")
    if relu:
        worst = max(rows, key=lambda r: r[3])
        print(f"worst run ÷ largest ReLU run = {worst[3] / relu:.2f} ({worst[0]}); target ≤ 1.5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
