"""Calibrates the compute budget (app/core/budget.py) and every activation's declared cost.

Times, in CPU seconds of this process (one BLAS thread, as the app runs), the engine's own
passes on one network and expresses them in the budget's units, where ReLU's training
work per unit and input is 10 by definition (its declaration) and one unit is then the
time one weight costs per input in a training pass (forward, weight gradient, backward):

- per activation, ``unit_cost`` (a training pass: forward with noise drawn, derivative,
  backward) and ``eval_unit_cost`` (a recorded frame's evaluation pass: the deterministic
  curve, loss, backward and statistics);
- the budget's constants: FRAME_WEIGHTS, GRID_WEIGHTS, PARAM_COST, STEP_COST, CALL_COST,
  HIST_COST.

Prints the measured values beside the declared ones and flags those more than 25 % off:
paste the measured ones back (the catalogue's declarations, app/core/budget.py) when the
engine or the machine changes. Run it on an idle machine (`uptime`):

    python3 bench/unit_costs.py [--repeat 5] [--only relu,mish]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import app  # noqa: F401  (one BLAS thread, before numpy loads)
from app.core import activations as acts
from app.core import budget
from app.core.network import Architecture, StackedMLP, Variant, augment
from app.core.recording import Recorder, histograms

N = 1000  # inputs
ARCH = Architecture(widths=(64, 64, 64, 64))  # units 256, weights 2·64 + 3·64² + 64
K = 2


def paired(fa, fb, repeat: int) -> tuple[float, float]:
    """The smallest CPU times of two functions, their calls alternating (a busy spell hits both)."""
    fa()
    fb()
    best_a = best_b = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fa()
        best_a = min(best_a, time.process_time() - t)
        t = time.process_time()
        fb()
        best_b = min(best_b, time.process_time() - t)
    return best_a, best_b


def cpu(fn, repeat: int) -> float:
    """The smallest CPU time of ``repeat`` calls (after one warm-up)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def network(name: str, rows: int = N, arch: Architecture = ARCH, k: int = K) -> tuple[StackedMLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    net = StackedMLP(arch, [Variant(name)] * k, rows)
    from app.core.network import init_theta

    for i in range(k):
        net.theta[i] = init_theta(net.layout, "he", 0.0, {}, rng)
    xT = augment(rng.standard_normal((rows, 2)))
    target = (1.0 - 2.0 * (rng.random(rows) > 0.5)).reshape(1, -1)
    return net, xT, target


def training_fn(name: str):
    net, xT, tgt = network(name)
    rng = np.random.default_rng(1)
    stochastic = acts.get(name).stochastic is not None

    def run() -> None:
        with np.errstate(all="ignore"):
            net.forward(xT, rng if stochastic else None, keep=False)
            net.loss_grad(tgt, tgt / N, want_loss=False)
            net.backward(xT, keep=False)

    return run


def training_pass(name: str, repeat: int) -> float:
    return cpu(training_fn(name), repeat)


def frame_fn(name: str):
    net, xT, tgt = network(name)
    rec = Recorder(net, N, 1)

    def run() -> None:
        with np.errstate(all="ignore"):
            net.forward(xT, keep=True)
            net.loss_grad(tgt, tgt / N)
            rec.forward_stats(0)
            rec.grad_stats(0, net.backward(xT, input_grad=True))

    return run


def frame_pass(name: str, repeat: int) -> float:
    return cpu(frame_fn(name), repeat)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated activation ids (default: all)")
    args = ap.parse_args()
    r = args.repeat
    n_w, units = ARCH.n_weights, ARCH.units
    relu = acts.get("relu")
    t_relu = training_pass("relu", r)
    unit_s = t_relu / (N * K * (n_w + relu.unit_cost * units))  # seconds per cost unit
    print(f"one cost unit = {unit_s * 1e9:.3f} ns (ReLU training pass {t_relu * 1e3:.1f} ms CPU, {N} inputs, K = {K}, widths {ARCH.widths})")
    f_relu = frame_pass("relu", r)
    frame_weights = (f_relu / (unit_s * N * K) - relu.unit_cost * units) / n_w
    # a boundary grid: the evaluation forward pass alone
    net, xT, _ = network("relu")
    g_relu = cpu(lambda: net.logits(xT), r)
    e_relu = relu.eval_unit_cost if relu.eval_unit_cost is not None else relu.unit_cost
    grid_weights = g_relu / (unit_s * N * K * (n_w + e_relu * units))
    # histograms: per (unit, input)
    net.forward(xT)
    h = cpu(lambda: histograms(net, N, np.ones(K, bool)), r)
    hist_cost = h / (unit_s * K * units * N) / 2  # (the budget counts two: at init and at the end)
    # the optimiser: per parameter
    from app.core.optim import Optimizer

    P = net.theta.shape[1]
    opt = Optimizer("adam", net.theta, net.grad, np.full((K, 1), 0.01), np.zeros((K, 1)))
    param_cost = cpu(opt.update, r) / (unit_s * K * P)
    # a pass over a batch of b inputs costs as b + PASS_COLS inputs would (small products are less efficient)
    net, xT, tgt = network("relu")
    b = 32

    def batch_pass(cols: int) -> None:
        x, t = xT[:, :cols].copy(), tgt[:, :cols].copy()
        net.forward(x, keep=False)
        net.loss_grad(t, t / cols, want_loss=False)
        net.backward(x, keep=False)

    t_b = cpu(lambda: [batch_pass(b) for _ in range(20)], r) / 20
    t_n = cpu(lambda: batch_pass(N), r)
    pass_cols = (t_b * N - t_n * b) / (t_n - t_b)
    # fixed costs (Python and numpy calls) of a step and of a frame: tiny networks, one input
    small, frames = {}, {}
    for depth in (2, 8):
        a = Architecture(depth, 2)
        net1, x1, t1 = network("relu", rows=1, arch=a, k=1)
        opt1 = Optimizer("adam", net1.theta, net1.grad, np.full((1, 1), 0.01), np.zeros((1, 1)))
        rec1 = Recorder(net1, 1, 1)

        def one_step(net1=net1, x1=x1, t1=t1, opt1=opt1) -> None:
            net1.forward(x1, keep=False)
            net1.loss_grad(t1, t1)
            net1.backward(x1, keep=False)
            opt1.update()

        def one_frame(net1=net1, x1=x1, t1=t1, rec1=rec1) -> None:
            net1.forward(x1, keep=True)
            net1.loss_grad(t1, t1)
            rec1.forward_stats(0)
            rec1.grad_stats(0, net1.backward(x1, input_grad=True))

        small[depth] = cpu(lambda: [one_step() for _ in range(200)], r) / 200 / unit_s
        frames[depth] = cpu(lambda: [one_frame() for _ in range(200)], r) / 200 / unit_s
    call_cost = (small[8] - small[2]) / 6
    step_cost = small[2] - 2 * call_cost
    frame_call = (frames[8] - frames[2]) / 6
    frame_cost = frames[2] - 2 * frame_call
    print("\nbudget constants (app/core/budget.py): measured   declared")
    for name, measured, declared in (
        ("FRAME_WEIGHTS", frame_weights, budget.FRAME_WEIGHTS), ("GRID_WEIGHTS", grid_weights, budget.GRID_WEIGHTS),
        ("HIST_COST", hist_cost, budget.HIST_COST), ("PARAM_COST", param_cost, budget.PARAM_COST),
        ("STEP_COST", step_cost, budget.STEP_COST), ("CALL_COST", call_cost, budget.CALL_COST), ("PASS_COLS", pass_cols, budget.PASS_COLS),
        ("FRAME_COST", frame_cost, budget.FRAME_COST), ("FRAME_CALL_COST", frame_call, budget.FRAME_CALL_COST),
    ):
        flag = "" if 0.75 <= measured / declared <= 1.33 else "   <-- off by more than 25 %"
        print(f"  {name:14s} {measured:12.3g} {declared:10.3g}{flag}")
    only = [s for s in args.only.split(",") if s] or list(acts.IDS)
    print("\nper activation: unit_cost (training) and eval_unit_cost (frames), measured / declared")
    off = 0
    for name in only:
        a = acts.get(name)
        # each against a ReLU pass timed alongside it
        t_base, t_act = paired(training_fn("relu"), training_fn(name), r)
        f_base, f_act = paired(frame_fn("relu"), frame_fn(name), r)
        unit = t_base / (N * K * (n_w + relu.unit_cost * units))
        u = relu.unit_cost + (t_act - t_base) / (unit * N * K * units)
        e = relu.unit_cost + (f_act - f_base) / (unit * N * K * units)
        du, de = a.unit_cost, a.eval_unit_cost if a.eval_unit_cost is not None else a.unit_cost
        bad = not (0.75 <= max(u, 1) / max(du, 1) <= 1.33 and 0.75 <= max(e, 1) / max(de, 1) <= 1.33)
        off += bad
        print(f"  {name:12s} unit_cost {u:7.0f} / {du:<5d} eval_unit_cost {e:7.0f} / {de:<5d}{'   <-- update' if bad else ''}")
    print(f"\n{off} activation(s) off by more than 25 %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
