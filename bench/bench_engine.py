"""Benchmark of the training engine against PyTorch eager (CPU, float64).

Trains the same network the same way — same data, same initial weights (copied from the
engine into torch.nn.Linear), same optimiser — with PyTorch and with app.core.training,
checks that the two loss curves agree to 1e-9 relative, and prints the time ratios.
The engine records its full statistics at every epoch; PyTorch computes the training
loss (from the forward pass it backpropagates) and the test loss and accuracy each epoch.

Also times a 16-way learning-rate sweep in one stacked pass against 16 separate runs.

    pip install torch==2.13.0      # optional: only this benchmark needs it
    python3 bench/bench_engine.py [--repeat 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.datasets import DatasetSpec, make_dataset
from app.core.network import Architecture, Layout, Variant
from app.core.training import ADAM_BETAS, ADAM_EPS, TrainConfig, train

TOLERANCE = 1e-9
SWEEP_LRS = tuple(float(v) for v in np.geomspace(1e-3, 0.3, 16))


def best_of(fns: list, repeat: int) -> list[tuple[float, object]]:
    """For each function, the smallest wall-clock time of ``repeat`` calls (seconds) and its
    last result. The calls are interleaved, so a busy spell on a shared machine hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    out: list = [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            out[i] = fn()
            times[i].append(time.perf_counter() - t)
    return [(min(ts), o) for ts, o in zip(times, out)]


def engine_config(depth: int, width: int, epochs: int = 300, optimizer: str = "adam", lr: float = 0.01, **kw) -> TrainConfig:
    """Full statistics recorded at every epoch (plus the default boundary grids and histograms)."""
    return TrainConfig(
        data=DatasetSpec("moons", 256, 0.1, 0.25, 0),
        arch=Architecture(depth, width),
        optimizer=optimizer,
        learning_rate=lr,
        epochs=epochs,
        frames=epochs + 1,
        **kw,
    )


def torch_run(config: TrainConfig, theta0: np.ndarray, torch):
    """The same training in PyTorch eager; returns the training loss at every epoch 0..E."""
    data = make_dataset(config.data)
    x = torch.tensor(data.x_train)
    y = torch.tensor(data.y_train, dtype=torch.float64).reshape(-1, 1)
    xt = torch.tensor(data.x_test)
    yt = torch.tensor(data.y_test, dtype=torch.float64).reshape(-1, 1)
    layers: list = []
    weights = Layout(config.network, ()).unpack(theta0)  # W: fan_in × fan_out
    for i, (W, b) in enumerate(zip(weights["W"], weights["b"])):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        layers.append(lin)
        if i < config.arch.depth:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    if config.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=config.learning_rate, betas=ADAM_BETAS, eps=ADAM_EPS)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=config.learning_rate, momentum=config.momentum)
    lossf = torch.nn.BCEWithLogitsLoss()
    losses, test = [], []
    for epoch in range(config.epochs + 1):
        opt.zero_grad()
        loss = lossf(net(x), y)
        losses.append(loss.item())
        with torch.no_grad():
            s = net(xt)
            test.append((lossf(s, yt).item(), ((s > 0) == (yt > 0.5)).double().mean().item()))
        if epoch == config.epochs:
            break
        loss.backward()
        opt.step()
    return np.array(losses)


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed repeats; the best is kept")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest for these tiny ops)")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} thread), float64, CPU")

    rows = []
    ok = True
    cases = [
        ("default 2-8-8-8-1, Adam", engine_config(3, 8)),
        ("deep 2-16x8-1, Adam", engine_config(8, 16)),
        ("default, SGD momentum 0.9", engine_config(3, 8, optimizer="sgd", lr=0.05, momentum=0.9)),
    ]
    for name, cfg in cases:
        theta0 = train(dataclasses.replace(cfg, include_weights=True, epochs=0, frames=1)).theta_initial[0]
        (t_engine, trace), (t_torch, torch_losses) = best_of([lambda: train(cfg), lambda: torch_run(cfg, theta0, torch)], args.repeat)
        diff = rel_diff(trace.loss_train[0], torch_losses)
        agree = diff <= TOLERANCE
        ok &= agree
        rows.append((name, t_torch, t_engine, t_torch / t_engine, diff, agree))

    print()
    print(f"{'case (300 epochs, 192 training points)':40s} {'torch ms':>9s} {'engine ms':>10s} {'speed-up':>9s} {'max rel diff':>13s}")
    for name, tt, te, ratio, diff, agree in rows:
        print(f"{name:40s} {tt * 1e3:9.1f} {te * 1e3:10.1f} {ratio:8.1f}x {diff:13.1e}{'' if agree else '  MISMATCH'}")

    # 16-way learning-rate sweep (the /api/sweep defaults: 100 recorded frames, no boundary
    # grids or histograms): one stacked pass against 16 separate runs
    base = dataclasses.replace(engine_config(3, 8), frames=100, boundary_frames=0, histograms=False)
    sweep = dataclasses.replace(base, variants=tuple(Variant("relu", {}, learning_rate=lr) for lr in SWEEP_LRS))
    singles = [dataclasses.replace(base, learning_rate=lr) for lr in SWEEP_LRS]
    (t_stacked, stacked), (t_separate, separate) = best_of([lambda: train(sweep), lambda: [train(c) for c in singles]], args.repeat)
    sweep_diff = max(rel_diff(stacked.loss_train[k], s.loss_train[0]) for k, s in enumerate(separate))
    ok &= sweep_diff <= TOLERANCE
    print()
    print(f"{'16-way learning-rate sweep (default net)':40s} {'16 runs ms':>10s} {'stacked ms':>10s} {'cost':>8s} {'max rel diff':>13s}")
    print(f"{'':40s} {t_separate * 1e3:10.1f} {t_stacked * 1e3:10.1f} {t_stacked / t_separate:7.2f}x {sweep_diff:13.1e}")
    print()
    print("targets: default ≥ 5x faster than PyTorch eager; sweep ≤ 0.3x of 16 separate runs; curves agree to 1e-9")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
