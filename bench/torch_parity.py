"""The network lab's knobs against PyTorch (float64, CPU): loss curves and final weights.

For each case the engine (app.core.training.train) and PyTorch eager train the same
network the same way — the same data and features, the same initial weights (copied from
the engine into torch.nn.Linear), the same optimiser, the same batch order — and the
script prints the largest relative difference of the training-loss curves (every epoch,
before its update) and of the final weights (relative to each layer's largest weight).
Cases: L2, L1, multi-class softmax cross-entropy, regression with squared error,
engineered features (all seven), uneven widths, mini-batches, and a run continued from
its state (N epochs, the state through its JSON form, M more) against one run of N + M —
also compared with the engine's own single run, bit for bit. Target: everything ≤ 1e-9.

    pip install torch==2.13.0      # optional: only this script needs it
    python3 bench/torch_parity.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import orjson

import app  # noqa: F401  (one BLAS thread, before numpy loads)
from app.core import state as states
from app.core.datasets import DatasetSpec, featurize, make_dataset
from app.core.network import Architecture, Layout, Variant
from app.core.training import ADAM_BETAS, ADAM_EPS, TrainConfig, train

TOLERANCE = 1e-9
EPOCHS = 60
ALL = ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")


def config(**kw) -> TrainConfig:
    base = dict(data=DatasetSpec("moons", 200, 0.1, 0.25, 1), arch=Architecture(3, 8), epochs=EPOCHS, frames=EPOCHS + 1,
                boundary_frames=0, histograms=False, include_weights=True, learning_rate=0.02, seed=3)
    base.update(kw)
    return TrainConfig(**base)


CASES = {
    "L2 0.01 (Adam)": config(l2=0.01),
    "L1 0.003 (Adam)": config(l1=0.003),
    "L1 + L2, SGD momentum": config(l1=0.001, l2=0.02, optimizer="sgd", learning_rate=0.1, momentum=0.9),
    "multi-class softmax, 5 classes": config(data=DatasetSpec("class_blobs", 200, 0.1, 0.25, 1, classes=5)),
    "multi-class spirals, batch 32": config(data=DatasetSpec("class_spirals", 240, 0.05, 0.25, 2, classes=3), batch_size=32),
    "regression, squared error (plane)": config(data=DatasetSpec("plane", 200, 0.05, 0.25, 1)),
    "regression, multi-Gaussian, tanh": config(data=DatasetSpec("multi_gaussian", 200, 0.0, 0.25, 1), variants=(Variant("tanh"),)),
    "engineered features (all seven)": config(features=ALL, data=DatasetSpec("circles", 200, 0.1, 0.25, 1)),
    "uneven widths 12, 5, 9, 3": config(arch=Architecture(widths=(12, 5, 9, 3))),
    "everything: widths, features, L1+L2, 4 classes": config(arch=Architecture(widths=(6, 10)), features=("x1", "x2", "x1x2", "sin_x1"), l1=0.001, l2=0.005,
                                                          data=DatasetSpec("class_blobs", 200, 0.2, 0.25, 4, classes=4), batch_size=50),
}


def torch_run(cfg: TrainConfig, theta0: np.ndarray, torch):
    """The same training in PyTorch; returns (training losses per epoch 0..E, final W and b)."""
    data = make_dataset(cfg.data)
    task = data.task
    x = torch.tensor(featurize(data.x_train, cfg.features))
    if task == "binary":
        y = torch.tensor(data.y_train, dtype=torch.float64).reshape(-1, 1)
        lossf = torch.nn.BCEWithLogitsLoss()
    elif task == "multiclass":
        y = torch.tensor(data.y_train.astype(np.int64))
        lossf = torch.nn.CrossEntropyLoss()
    else:
        y = torch.tensor(data.y_train, dtype=torch.float64).reshape(-1, 1)
        lossf = torch.nn.MSELoss()
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[cfg.variants[0].activation]
    weights = Layout(cfg.network, ()).unpack(theta0)
    layers, linears = [], []
    for i, (W, b) in enumerate(zip(weights["W"], weights["b"])):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        layers.append(lin)
        linears.append(lin)
        if i < cfg.arch.depth:
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate, betas=ADAM_BETAS, eps=ADAM_EPS)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=cfg.learning_rate, momentum=cfg.momentum)
    n = len(x)
    batch = n if cfg.batch_size <= 0 or cfg.batch_size >= n else cfg.batch_size
    rng = np.random.default_rng((cfg.seed, 2))  # the engine's batch order
    losses = []
    for epoch in range(cfg.epochs + 1):
        with torch.no_grad():
            losses.append(lossf(net(x), y).item())
        if epoch == cfg.epochs:
            break
        order = rng.permutation(n) if batch < n else np.arange(n)
        for lo in range(0, n, batch):
            idx = torch.tensor(order[lo : lo + batch])
            opt.zero_grad()
            loss = lossf(net(x[idx]), y[idx])
            if cfg.l1:
                loss = loss + cfg.l1 * sum(lin.weight.abs().sum() for lin in linears)
            if cfg.l2:
                loss = loss + 0.5 * cfg.l2 * sum((lin.weight**2).sum() for lin in linears)
            loss.backward()
            opt.step()
    return np.array(losses), [lin.weight.detach().numpy().T for lin in linears], [lin.bias.detach().numpy() for lin in linears]


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def weight_diff(theta: np.ndarray, cfg: TrainConfig, W: list, b: list) -> float:
    mine = Layout(cfg.network, ()).unpack(theta)
    return max(float(np.max(np.abs(p - q)) / max(float(np.max(np.abs(q))), 1e-300)) for p, q in zip(mine["W"] + mine["b"], W + b))


def main() -> int:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, float64, CPU; {EPOCHS} epochs each")
    print(f"\n{'case':48s} {'loss curve':>12s} {'final weights':>14s}")
    ok = True
    for name, cfg in CASES.items():
        t = train(cfg)
        losses, W, b = torch_run(cfg, t.theta_initial[0], torch)
        dl, dw = rel(t.loss_train[0], losses), weight_diff(t.theta_final[0], cfg, W, b)
        good = dl <= TOLERANCE and dw <= TOLERANCE
        ok &= good
        print(f"{name:48s} {dl:12.1e} {dw:14.1e}{'' if good else '  MISMATCH'}")
    # a run continued from its state, against one longer run (torch and the engine itself)
    for name, cfg in {"continued: 25 + 35 epochs (Adam, L2)": CASES["L2 0.01 (Adam)"],
                      "continued: 25 + 35 epochs (spirals, batch 32)": CASES["multi-class spirals, batch 32"]}.items():
        cfg = dataclasses.replace(cfg, include_state=True)
        first = train(dataclasses.replace(cfg, epochs=25, frames=26))
        wire = orjson.loads(orjson.dumps(states.encode(first.state)))
        K, P = first.state.theta.shape
        then = train(dataclasses.replace(cfg, epochs=35, frames=36), state=states.decode(wire, cfg, K, P))
        whole = train(cfg)
        curve = np.concatenate([first.loss_train[0], then.loss_train[0][1:]])
        losses, W, b = torch_run(cfg, first.theta_initial[0], torch)
        dl, dw = rel(curve, losses), weight_diff(then.state.theta[0], cfg, W, b)
        same = np.array_equal(then.state.theta, whole.state.theta) and np.array_equal(curve, whole.loss_train[0])
        good = dl <= TOLERANCE and dw <= TOLERANCE and same
        ok &= good
        print(f"{name:48s} {dl:12.1e} {dw:14.1e}  engine: continued {'=' if same else '≠'} one run, bit for bit{'' if good else '  MISMATCH'}")
    print(f"\ntarget: every difference ≤ {TOLERANCE:g}; {'all agree' if ok else 'SOME DISAGREE'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
